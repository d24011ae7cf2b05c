int main() {
  int i = 0, s = 0;
  while (i < 1000) {
    s = s + 2;
    i = i + 1;
  }
  int d = 2 * i;
  __VERIFIER_assert(s == d);
  return 0;
}
