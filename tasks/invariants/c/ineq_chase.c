int main() {
  int x = 0, y = 10;
  while (x < y) {
    x += 2;
    y -= 1;
  }
  assert(x <= 8);
  return 0;
}
