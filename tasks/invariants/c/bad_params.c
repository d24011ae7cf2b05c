int f(int a, int b) {
  int x = a, y = b;
  assume(a > 0);
  while (x > 0) {
    x--;
    y++;
  }
  assert(y > b + a);
  return y;
}
