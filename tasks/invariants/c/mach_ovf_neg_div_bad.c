int main() {
  int x = __VERIFIER_nondet_int();
  int y = -x;
  int q = x / -1;
  __VERIFIER_assert(q == y);
  return 0;
}
