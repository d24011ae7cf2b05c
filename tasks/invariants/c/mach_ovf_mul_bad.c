int main() {
  int a = __VERIFIER_nondet_int();
  int b = __VERIFIER_nondet_int();
  assume_abort_if_not(a > 0 && a < 100000);
  assume_abort_if_not(b > 0 && b < 100000);
  int p = a * b;
  __VERIFIER_assert(p != 0 || a < 100000);
  return 0;
}
