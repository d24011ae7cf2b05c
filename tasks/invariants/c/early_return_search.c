int first_multiple(int n) {
  for (int i = 1; i <= n; i++) {
    if (i % 7 == 0) {
      return i;
    }
  }
  return 0;
}
int main() {
  int n = __VERIFIER_nondet_int();
  __VERIFIER_assume(n >= 0 && n <= 50);
  int m = first_multiple(n);
  __VERIFIER_assert(m >= 0 && m <= n);
  return 0;
}
