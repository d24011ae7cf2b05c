// SV-COMP style: nondet input, assume_abort_if_not, __VERIFIER_assert.
extern void abort(void);
extern int __VERIFIER_nondet_int(void);
void reach_error(void) {}
void assume_abort_if_not(int cond) { if (!cond) { abort(); } }
void __VERIFIER_assert(int cond) { if (!(cond)) { ERROR: { reach_error(); abort(); } } }
int main(void) {
  int n = __VERIFIER_nondet_int();
  assume_abort_if_not(n >= 0 && n <= 10000);
  int x = 0, y = 0;
  for (int i = 0; i < n; i++) { x += 1; y += 3; if (i == 7) y++; }
  __VERIFIER_assert(y == 3 * x);
  return 0;
}
