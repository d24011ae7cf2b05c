int main() {
  int n, i;
  assume(n > 0);
  i = n;
  while (i >= 0) {
    assert(i > 0);
    i--;
  }
  return 0;
}
