int main() {
  int x, y;
  assume(x >= 0 && y >= x);
  while (x < 10) {
    x++;
    y++;
  }
  assert(y >= 10);
  return 0;
}
