int main() {
  int x = 0, y = 0, n;
  assume(n > 0 && n < 50);
  while (x < n) {
    y = 0;
    while (y < x) {
      y++;
    }
    x++;
  }
  assert(x == n);
  return 0;
}
