int main() {
  int x, y = 0;
  assume(x > 0 && x < 100);
  while (x > 0) {
    x--;
    y += 2;
  }
  assert(y < 200);
  return 0;
}
