int main() {
  int x = 0, y = 0;
  while (x < 100) {
    x = x + 1;
    y = y + 2;
  }
  assert(y == 200);
  return 0;
}
