int main() {
  int x = 0, y = 0;
  do {
    x += 1;
    y += 3;
  } while (x < 10);
  assert(y == 30);
  return 0;
}
