int main() {
  int x = 0, y = 0;
  while (unknown()) {
    while (unknown()) {
      x++;
      y++;
    }
    x += 2;
    y += 1;
  }
  assert(x == y);
  return 0;
}
