extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  unsigned int i = 0;
  unsigned int j = n;
  while (i < n) {
    i++;
    j -= 2u;
  }
  __VERIFIER_assert(j <= n);
  return 0;
}
