int main() {
  int i = 0, a = 0, b = 100;
  while (i < 100) {
    i++;
    a++;
    b--;
  }
  assert(a + b == 100);
  return 0;
}
