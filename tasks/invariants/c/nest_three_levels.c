int main() {
  int a = 0, b = 0;
  while (unknown()) {
    while (unknown()) {
      while (unknown()) {
        a++;
        b++;
      }
      a += 2;
      b += 2;
    }
    a += 3;
    b += 3;
  }
  assert(a == b);
  return 0;
}
