extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_assert(int);

/* claims the counter overshoots n; it stops exactly at n (pair: count_up_bad.sl) */
int main(void) {
  int n = __VERIFIER_nondet_int();
  __VERIFIER_assume(n >= 0);
  int i = 0;
  while (i < n) {
    i = i + 1;
  }
  __VERIFIER_assert(i > n);
  return 0;
}
