int main() {
  int a, b, s;
  s = a + b;
  while (unknown()) {
    a = a + 1;
    b = b - 1;
  }
  assert(a + b == s);
  return 0;
}
