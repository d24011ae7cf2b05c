int main() {
  int s = 0, n;
  assume(n >= 0);
  for (int i = 0; i < n; i++) {
    s += 2;
  }
  assert(s >= 0);
  return 0;
}
