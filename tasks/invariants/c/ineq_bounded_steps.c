int main() {
  int x = 0, y = 0;
  while (unknown()) {
    int d = unknown();
    assume(d >= 1 && d <= 3);
    x += d;
    y++;
  }
  assert(x >= y);
  assert(x <= 3 * y);
  return 0;
}
