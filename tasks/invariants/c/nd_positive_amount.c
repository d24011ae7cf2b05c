int main() {
  int x = 0, y = 0, z = 0;
  while (unknown()) {
    int t = unknown();
    if (t > 0) {
      x += t;
      y += t;
    } else {
      z++;
    }
  }
  assert(x == y && z >= 0);
  return 0;
}
