int main() {
  int x = 0, y = 0, z = 0;
  while (unknown()) {
    x++;
    y += 2;
    z += 3;
  }
  assert(z == x + y);
  return 0;
}
