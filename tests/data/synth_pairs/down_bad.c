extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_assert(int);

/* x reaches 0, so x > 0 fails at the loop head (pair: down_bad.sl) */
int main(void) {
  int x = 5;
  while (1) {
    __VERIFIER_assert(x > 0);
    if (!(x > 0)) break;
    x = x - 1;
  }
  return 0;
}
