extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = n;
  while (i > 1u) {
    i--;
  }
  __VERIFIER_assert(i == 1u);
  return 0;
}
