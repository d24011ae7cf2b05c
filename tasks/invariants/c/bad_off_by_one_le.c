int main() {
  int i = 0, n;
  assume(n >= 0);
  while (i <= n) {
    i++;
  }
  assert(i == n);
  return 0;
}
