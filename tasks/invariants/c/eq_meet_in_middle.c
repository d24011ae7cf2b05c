int main() {
  int n, i = 0, j;
  assume(n > 0);
  j = n;
  while (i < n) {
    i++;
    j--;
  }
  assert(j == 0);
  return 0;
}
