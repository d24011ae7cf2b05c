extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = n;
  int steps = 0;
  while (steps < 3) {
    __VERIFIER_assert(i <= n);
    i--;
    steps++;
  }
  return 0;
}
