int main() {
  int n, i = 0, s = 0;
  assume(n >= 0 && n <= 20);
  while (i < n) {
    i++;
    s += 3;
  }
  assert(s != 51);
  return 0;
}
