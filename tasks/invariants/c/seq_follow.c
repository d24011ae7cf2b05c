int main() {
  int a = 0, b = 0;
  while (a < 10) {
    a++;
  }
  while (b < a) {
    b++;
  }
  assert(b == 10);
  return 0;
}
