int main() {
  int x = 0, y = 0;
  while (unknown()) {
    if (x < 5) {
      x++;
      y++;
    } else {
      y++;
    }
  }
  assert(x <= 5 && (x == 5 || x == y));
  return 0;
}
