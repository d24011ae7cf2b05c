extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = n;
  unsigned int k = 0;
  while (i > 0) {
    i--;
    k++;
  }
  __VERIFIER_assert(i == 0);
  __VERIFIER_assert(k == n);
  return 0;
}
