int main() {
  int x = 0, y = 0;
  while (x < 50) {
    x++;
    if (x % 2 == 0) y++;
  }
  assert(y <= 50);
  return 0;
}
