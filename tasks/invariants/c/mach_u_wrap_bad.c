int main(void) {
  unsigned int i = 5u;
  unsigned int c = 0;
  while (i != 4294967293u) {
    i--;
    c++;
  }
  __VERIFIER_assert(i <= 5u);
  return 0;
}
