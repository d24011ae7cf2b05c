int main() {
  int a = 0, b = 0;
  while (unknown()) {
    a += 2;
    if (unknown()) b++;
  }
  assert(b <= a);
  return 0;
}
