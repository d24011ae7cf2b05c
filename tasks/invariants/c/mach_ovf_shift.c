int main() {
  int x = __VERIFIER_nondet_int();
  int y = 0;
  if (x >= 0 && x < 1000) {
    y = x << 4;
  }
  __VERIFIER_assert(y >= 0);
  return 0;
}
