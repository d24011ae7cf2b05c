int main() {
  int x = 50, y = 50;
  while (x > 0) {
    x--;
    y--;
  }
  assert(y == 0);
  return 0;
}
