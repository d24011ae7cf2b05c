int main() {
  int x = 1, y = 1;
  while (unknown()) {
    if (unknown()) {
      x = x + y;
    } else {
      y = y + x;
    }
  }
  assert(x >= 1 && y >= 1);
  return 0;
}
