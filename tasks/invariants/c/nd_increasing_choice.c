int main() {
  int x = 0, y = 0;
  while (unknown()) {
    x = unknown();
    assume(x > y);
    y = x;
  }
  assert(y >= 0);
  return 0;
}
