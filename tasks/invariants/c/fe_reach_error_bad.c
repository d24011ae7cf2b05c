#include <stdio.h>
extern int __VERIFIER_nondet_int(void);
extern void abort(void);
void reach_error(void) { abort(); }
int main(void) {
  int a = __VERIFIER_nondet_int();
  int b = __VERIFIER_nondet_int();
  if (a < 0 || b < 0 || a > 100 || b > 100) return 0;
  int q = a, r = b;
  while (r > 1) { q++; r--; }
  if (q != a + b) {
    reach_error();
  }
  return 0;
}
