int main() {
  int n, i = 0, k = 0;
  assume(n >= 0);
  while (i < n) {
    int j = 0;
    while (j <= 2) {
      k = k + 1;
      j = j + 1;
    }
    k = k + 1;
    i = i + 1;
  }
  assert(k == 3 * n);
  return 0;
}
