int main() {
  unsigned int i = 0;
  unsigned int s = 0;
  while (i < 100u) {
    i = i + 1;
    s = s + 3;
  }
  __VERIFIER_assert(s == 3 * i);
  return 0;
}
