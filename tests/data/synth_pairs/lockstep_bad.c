extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_assert(int);

/* y runs twice as fast as x, so x == y fails after one step (pair: lockstep_bad.sl) */
int main(void) {
  int x = 0;
  int y = 0;
  while (1) {
    __VERIFIER_assert(x == y);
    x = x + 1;
    y = y + 2;
  }
  return 0;
}
