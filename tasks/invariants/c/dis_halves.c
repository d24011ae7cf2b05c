int main() {
  int i = 0, a = 0, b = 0;
  while (i < 40) {
    if (i < 20) a++; else b++;
    i++;
  }
  assert(a == 20 && b == 20);
  return 0;
}
