int main() {
  int x = 0, y = 0;
  while (x < 100) {
    if (x < 50) y++; else y--;
    x++;
  }
  assert(y == 0);
  return 0;
}
