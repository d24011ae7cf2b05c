int main() {
  int n = unknown(), i = 0, k = 0;
  while (i < n) {
    i++;
    if (unknown()) k++;
  }
  assert(k <= i);
  return 0;
}
