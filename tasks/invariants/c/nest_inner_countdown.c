int main() {
  int x = 0;
  while (x < 10) {
    int y = x;
    while (y > 0) {
      y--;
    }
    x++;
  }
  assert(x == 10);
  return 0;
}
