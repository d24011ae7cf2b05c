int main() {
  int a, b;
  assume(a >= 0 && b >= 0);
  int c = 0;
  while (a > 0) {
    a--;
    c++;
  }
  while (b > 0) {
    b--;
    c++;
  }
  assert(c >= 0);
  return 0;
}
