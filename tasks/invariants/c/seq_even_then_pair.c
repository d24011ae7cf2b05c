int main() {
  int x = 0, y = 0;
  while (unknown()) {
    x += 2;
  }
  y = x;
  while (unknown()) {
    x++;
    y++;
  }
  assert(x == y);
  return 0;
}
