int main() {
  int x = 0, y = 0, n = 100;
  while (x < n) {
    if (x < 10) y = y + 1;
    x = x + 1;
  }
  assert(y == 10);
  return 0;
}
