int main() {
  int x = 100, y = 0;
  while (x > 0) {
    x--;
    y++;
  }
  assert(y == 100);
  return 0;
}
