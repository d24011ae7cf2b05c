int main() {
  int i = 0, x = 2147483600;
  while (i < 100) {
    i++;
    x++;
  }
  assert(x > 0);
  return 0;
}
