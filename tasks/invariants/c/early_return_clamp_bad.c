int clamp(int x, int lo, int hi) {
  if (x < lo) {
    return lo;
  }
  if (x > hi) return hi;
  return x;
}
int main() {
  int a = __VERIFIER_nondet_int();
  int c = clamp(a, 0, 100);
  __VERIFIER_assert(c < 100);
  return 0;
}
