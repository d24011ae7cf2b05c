int main() {
  int x = 0, y = 0;
  while (unknown()) {
    while (unknown()) {
      x++;
    }
    y++;
    x++;
  }
  assert(x >= y);
  return 0;
}
