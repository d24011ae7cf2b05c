int main() {
  int a = __VERIFIER_nondet_int();
  assume_abort_if_not(a > -1000000 && a < 1000000);
  int p = a * 1000;
  __VERIFIER_assert(p < 1000000000);
  return 0;
}
