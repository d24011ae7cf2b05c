int main() {
  int x = 0, y = 0;
  while (x < 100) {
    if (x <= 10) y++;
    x++;
  }
  assert(y == 10);
  return 0;
}
