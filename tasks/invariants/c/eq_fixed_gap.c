int main() {
  int x = 7, y = 3;
  while (unknown()) {
    x += 4;
    y += 4;
  }
  assert(x - y == 4);
  return 0;
}
