int main() {
  int i = 0, n;
  assume(n > 0);
  while (1) {
    if (i >= n) break;
    i++;
  }
  assert(i == n);
  return 0;
}
