int main() {
  int i = 0, x = 0, n;
  assume(n >= 0);
  while (i < n) {
    i++;
    x++;
  }
  while (i > 0) {
    i--;
    x--;
  }
  assert(x == 0);
  return 0;
}
