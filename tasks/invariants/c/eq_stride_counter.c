int main() {
  int i = 0, k = 0, n;
  assume(n >= 0);
  while (k < n) {
    k++;
    i += 2;
  }
  assert(i == 2 * n);
  return 0;
}
