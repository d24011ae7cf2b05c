int main() {
  int n, x;
  assume(n >= 0);
  x = n;
  while (x > 0 && unknown()) {
    x--;
  }
  assert(x >= 0 && x <= n);
  return 0;
}
