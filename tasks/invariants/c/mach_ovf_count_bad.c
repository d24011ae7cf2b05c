int main() {
  int n = __VERIFIER_nondet_int();
  int s = 0;
  while (n > 0) {
    s = s + n;
    n = n - 1;
  }
  __VERIFIER_assert(s >= 0);
  return 0;
}
