int main() {
  int a = 0, b = 0, c = 0;
  while (unknown()) {
    if (unknown()) {
      a++;
      c++;
    } else {
      b++;
    }
  }
  assert(a + b == c);
  return 0;
}
