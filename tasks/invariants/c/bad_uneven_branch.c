int main() {
  int x = 0, y = 0;
  while (unknown()) {
    if (unknown()) {
      x++;
      y++;
    } else {
      x += 2;
      y++;
    }
  }
  assert(x == y);
  return 0;
}
