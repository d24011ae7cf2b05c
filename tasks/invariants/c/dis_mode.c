int main() {
  int x = 0, y = 0;
  int mode = unknown();
  while (x < 10) {
    x++;
    if (mode) y++;
  }
  assert(mode == 0 || y == 10);
  return 0;
}
