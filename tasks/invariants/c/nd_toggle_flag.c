int main() {
  _Bool f = 0;
  int x = 0;
  while (unknown()) {
    if (f) {
      x--;
      f = 0;
    } else {
      x++;
      f = 1;
    }
  }
  assert(x >= 0 && x <= 1);
  return 0;
}
