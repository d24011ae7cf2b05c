int main() {
  unsigned int i = 10;
  unsigned int n = 0;
  while (i >= 0u && n < 20) {
    i = i - 1;
    n = n + 1;
  }
  __VERIFIER_assert(i <= 10u);
  return 0;
}
