int main() {
  int n, m, i = 0, c = 0;
  assume(n >= 0 && m >= 0);
  while (i < n) {
    int j = 0;
    while (j < m) {
      c = c + 1;
      j = j + 1;
    }
    i = i + 1;
  }
  assert(c == n * m);
  return 0;
}
