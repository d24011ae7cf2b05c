extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = 0;
  unsigned int j = n;
  while (i < n) {
    i++;
    j--;
  }
  __VERIFIER_assert(j == 0);
  __VERIFIER_assert(i <= n);
  return 0;
}
