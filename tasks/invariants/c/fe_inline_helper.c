extern int __VERIFIER_nondet_int(void);
int step(int v, int k) {
  int w = v + k;
  return w;
}
int pick(int a, int b) {
  if (a > b) {
    return a;
  } else {
    return b;
  }
}
int main(void) {
  int n = __VERIFIER_nondet_int();
  __VERIFIER_assume(n >= 0);
  int x = 0;
  for (int i = 0; i < n; ++i) {
    x = step(x, 2);
  }
  int m = pick(x, 1);
  __VERIFIER_assert(x == 2 * n && m >= 1);
  return 0;
}
