int main() {
  int x, y;
  (x = 1);
  (y = 0);
  while (y < 1000) {
    x = x + y;
    y = y + 1;
  }
  assert(x >= y);
  return 0;
}
