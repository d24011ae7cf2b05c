int main() {
  int x = 0, y = 10;
  while (x < 20) {
    if (x < 10) y--; else y++;
    x++;
  }
  assert(y == 10);
  return 0;
}
