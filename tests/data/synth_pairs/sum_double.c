extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_assert(int);

/* i counts up to n while s adds 2 each step: s == 2n at exit (pair: sum_double.sl) */
int main(void) {
  int n = __VERIFIER_nondet_int();
  __VERIFIER_assume(n >= 0);
  int i = 0;
  int s = 0;
  while (i < n) {
    i = i + 1;
    s = s + 2;
  }
  __VERIFIER_assert(s == 2 * n);
  return 0;
}
