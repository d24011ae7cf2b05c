int main() {
  _Bool done = 0;
  int x = 0;
  while (!done) {
    x++;
    if (x >= 10) done = 1;
  }
  assert(x == 10);
  return 0;
}
