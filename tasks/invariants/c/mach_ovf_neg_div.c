int main() {
  int x = __VERIFIER_nondet_int();
  int y = 0;
  if (x > INT_MIN) {
    y = -x;
  }
  int q = x != INT_MIN ? x / -1 : 0;
  __VERIFIER_assert(q == y);
  return 0;
}
