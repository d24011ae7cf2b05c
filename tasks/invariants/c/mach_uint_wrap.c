int main() {
  unsigned int x = UINT_MAX;
  x = x + 1;
  __VERIFIER_assert(x == 0);
  unsigned int y = 0;
  y = y - 1;
  __VERIFIER_assert(y / 2 == 2147483647u);
  unsigned char c = 250;
  c = c + 10;
  __VERIFIER_assert(c == 4);
  return 0;
}
