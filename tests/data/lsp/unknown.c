// Fixture for tests/test_lsp.py: a true assertion whose invariant is not linear (unknown with a short timeout).
int sums(int n) {
  int i = 0, s = 0;
  assume(n >= 0);
  while (i < n) {
    i++;
    s += i;
  }
  assert(2 * s == n * (n + 1));
  return s;
}
