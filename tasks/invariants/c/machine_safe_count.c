int main() {
  int x = 0;
  while (x < 100) {
    x++;
  }
  assert(x == 100);
  return 0;
}
