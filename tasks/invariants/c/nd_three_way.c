int main() {
  int x = 0, y = 0;
  while (unknown()) {
    int c = unknown();
    if (c == 1) {
      x += 1;
      y += 1;
    } else if (c == 2) {
      x += 2;
      y += 2;
    } else {
      x += 3;
      y += 3;
    }
  }
  assert(x == y);
  return 0;
}
