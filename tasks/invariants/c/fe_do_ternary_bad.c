extern int __VERIFIER_nondet_int(void);
int main(void) {
  int n = __VERIFIER_nondet_int();
  __VERIFIER_assume(n >= 1 && n <= 1000);
  int i = 0, big = 0;
  do {
    big += (i < n - 1 ? 1 : 0);
    i += 1;
  } while (i < n);
  __VERIFIER_assert(big == n);
  return 0;
}
