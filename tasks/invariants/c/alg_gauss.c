int main() {
  int k, i = 0, sum = 0;
  assume(k >= 0);
  while (i < k) {
    sum = sum + i;
    i++;
  }
  assert(2 * sum == k * (k - 1));
  return 0;
}
