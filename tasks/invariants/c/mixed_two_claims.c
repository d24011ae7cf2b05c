int main() {
  int x = 0, y = 0, n;
  assume(n >= 0);
  while (x < n) {
    x++;
    y += 2;
  }
  assert(y == 2 * n);
  assert(y == 2 * n + 1);
  return 0;
}
