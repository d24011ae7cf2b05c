int main() {
  int i = 1, sum = 0, n;
  assume(n >= 1);
  while (i <= n) {
    sum += 1;
    i++;
  }
  assert(sum == n);
  return 0;
}
