extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  if (n > 10u) {
    n = 10u;
  }
  unsigned int i = 0;
  while (i < n) {
    i++;
  }
  __VERIFIER_assert(i <= 10u);
  return 0;
}
