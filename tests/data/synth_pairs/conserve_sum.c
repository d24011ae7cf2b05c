extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_assert(int);

/* one unit moves from y to x per step: x + y stays 10 (pair: conserve_sum.sl) */
int main(void) {
  int x = 0;
  int y = 10;
  while (__VERIFIER_nondet_int()) {
    __VERIFIER_assert(x + y == 10);
    if (!(y > 0)) break;
    x = x + 1;
    y = y - 1;
  }
  __VERIFIER_assert(x + y == 10);
  return 0;
}
