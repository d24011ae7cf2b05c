int main() {
  int x = 0, y = 0;
  while (unknown()) {
    x = x + 3;
    y = y - 2;
  }
  assert(2 * x + 3 * y == 0);
  return 0;
}
