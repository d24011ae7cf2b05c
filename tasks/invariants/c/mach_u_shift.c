extern unsigned int __VERIFIER_nondet_uint(void);
int main(void) {
  unsigned int start = __VERIFIER_nondet_uint();
  unsigned int i = start;
  unsigned int k = 0;
  while (k < 3u) {
    i = i + 1u;
    k = k + 1u;
  }
  __VERIFIER_assert(i - start == 3u);
  return 0;
}
