int main() {
  _Bool f = 0;
  int x = 0;
  while (unknown()) {
    if (f) {
      x -= 1;
      f = 0;
    } else {
      x += 2;
      f = 1;
    }
  }
  assert(x <= 1);
  return 0;
}
