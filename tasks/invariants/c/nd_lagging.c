int main() {
  int x = 0, y = 0;
  while (unknown()) {
    x = x + 2;
    if (unknown()) y = y + 2; else y = y + 1;
  }
  assert(y <= x);
  return 0;
}
