extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = n;
  while (i > 0) {
    __VERIFIER_assert(i <= n);
    i--;
  }
  __VERIFIER_assert(i == 0);
  return 0;
}
