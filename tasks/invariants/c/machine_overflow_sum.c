int main() {
  int s = 0;
  while (unknown()) {
    int d = unknown();
    assume(d > 0);
    s = s + d;
  }
  assert(s >= 0);
  return 0;
}
