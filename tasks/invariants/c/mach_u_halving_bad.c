extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = n;
  unsigned int k = 0;
  while (i >= 2u) {
    i -= 2u;
    k++;
  }
  __VERIFIER_assert(i == 0);
  return 0;
}
