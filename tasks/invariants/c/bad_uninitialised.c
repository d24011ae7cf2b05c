int main() {
  int x, y = 0;
  while (y < 10) {
    y++;
  }
  assert(x + y >= 10);
  return 0;
}
