int main() {
  int a[10];
  int n = 0;
  for (int i = 0; i < 10; i++) {
    a[i] = i * i;
    n = n + 1;
  }
  __VERIFIER_assert(n == 10);
  return 0;
}
