// Fixture for tests/test_lsp.py: a true assertion whose invariant is of degree 4 (unknown with a short timeout).
int sums(int n) {
  int i = 0, s = 0;
  assume(n >= 0);
  while (i < n) {
    i++;
    s += i * i * i;
  }
  assert(4 * s == n * n * (n + 1) * (n + 1));
  return s;
}
