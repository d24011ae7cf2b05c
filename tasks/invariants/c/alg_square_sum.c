int main() {
  int n, i = 0, s = 0;
  assume(n >= 0);
  while (i < n) {
    i = i + 1;
    s = s + i * i;
  }
  assert(6 * s == n * (n + 1) * (2 * n + 1));
  return 0;
}
