int main() {
  int x = 0;
  while (unknown()) {
    int v = unknown();
    if (v == 12345) x = -1; else x = x + 1;
  }
  assert(x >= 0);
  return 0;
}
