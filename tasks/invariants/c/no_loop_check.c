int main() {
  int x = unknown();
  int y;
  if (x > 0) y = x; else y = -x;
  assert(y >= 0);
  return 0;
}
