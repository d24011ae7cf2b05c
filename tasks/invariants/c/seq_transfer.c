int main() {
  int i = 0, j = 0, k = 0;
  while (i < 10) {
    i++;
    j += 2;
  }
  while (j > 0) {
    j--;
    k++;
  }
  assert(k == 20);
  return 0;
}
