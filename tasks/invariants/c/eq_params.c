int transfer(int a, int b) {
  int s = a + b;
  int x = a, y = b;
  while (x > 0) {
    x--;
    y++;
  }
  assert(x + y == s);
  return y;
}
