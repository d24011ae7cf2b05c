int main() {
  int i = 0, j = 0, n;
  assume(n > 0);
  while (i < n) {
    j = 0;
    while (j < n) {
      j++;
    }
    i++;
  }
  assert(i == n);
  return 0;
}
