int main() {
  int n, c = 0;
  assume(n >= 0);
  while (n > 0) {
    n--;
    c++;
  }
  assert(c >= 0);
  return 0;
}
