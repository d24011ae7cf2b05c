int main() {
  int i = 0, s = 0;
  while (i < 10) {
    int v = unknown();
    assume(v >= 0 && v <= 3);
    s += v;
    i++;
  }
  assert(s < 30);
  return 0;
}
