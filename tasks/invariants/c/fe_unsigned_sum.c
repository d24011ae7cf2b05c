extern unsigned int __VERIFIER_nondet_uint(void);
extern void abort(void);
void __VERIFIER_assert(int cond) { if (!cond) abort(); }
int main(void) {
  unsigned int n = __VERIFIER_nondet_uint();
  if (n > 65535u) return 0;
  unsigned int i = 0, s = 0;
  while (i < n) {
    i++;
    s += 2;
  }
  __VERIFIER_assert(s == 2 * n);
  return 0;
}
