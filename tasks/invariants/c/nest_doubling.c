int main() {
  int x = 0, y = 0, z = 0;
  while (unknown()) {
    x++;
    while (unknown()) {
      y++;
      z += 2;
    }
    z += 2;
    y++;
  }
  assert(z == 2 * y);
  return 0;
}
