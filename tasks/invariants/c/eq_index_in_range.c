int main() {
  int n, i;
  assume(n > 0);
  for (i = 0; i < n; i++) {
    assert(i <= n - 1 && i >= 0);
  }
  return 0;
}
