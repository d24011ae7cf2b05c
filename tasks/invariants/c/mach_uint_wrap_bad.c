int main() {
  unsigned int x = __VERIFIER_nondet_uint();
  unsigned int y = x + 1;
  __VERIFIER_assert(y > x);
  return 0;
}
