int main() {
  int i = 0, n = 10;
  while (1) {
    i++;
    if (i > n) break;
  }
  assert(i == n);
  return 0;
}
