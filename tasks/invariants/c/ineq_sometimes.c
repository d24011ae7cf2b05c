int main() {
  int x = 0, y = 0, n;
  assume(n >= 0);
  while (x < n) {
    x++;
    if (unknown()) y++;
  }
  assert(y <= n);
  return 0;
}
