extern int __VERIFIER_nondet_int(void);
extern void __VERIFIER_assume(int);
extern void __VERIFIER_assert(int);

/* the C loop behind sum_double_ssa.sl, whose SyGuS form carries SSA copies i_0 i_1 ... (pair) */
int main(void) {
  int n = __VERIFIER_nondet_int();
  __VERIFIER_assume(n >= 0);
  int i = 0;
  int s = 0;
  while (i < n) {
    int i_1 = i;
    int s_1 = s;
    i = i_1 + 1;
    s = s_1 + 2;
  }
  __VERIFIER_assert(s == 2 * n);
  return 0;
}
