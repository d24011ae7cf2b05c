// Fixture for tests/test_lsp.py and tests/test_neovim.py: line numbers matter.
int counter(int n) {
  int x = 0, y = 0;
  assume(n >= 0);
  while (x < n) {
    x++;
    y += 2;
  }
  assert(y == 2 * x);
  return y;
}

int off_by_one(int n) {
  int i = 0;
  assume(n >= 0);
  while (i <= n) {
    i++;
  }
  assert(i == n);
  return i;
}

int pointers(int *p) {
  int k = *p;
  assert(k == *p);
  return k;
}
