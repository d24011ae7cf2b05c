int main() {
  int i = 0, n;
  assume(n >= 0);
  while (i < n) {
    i = i + 1;
  }
  assert(i == n);
  return 0;
}
