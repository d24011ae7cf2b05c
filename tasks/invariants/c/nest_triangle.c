int main() {
  int i = 0, t = 0, n = 8;
  while (i < n) {
    int j = i;
    while (j < n) {
      j++;
      t++;
    }
    i++;
  }
  assert(t >= n);
  return 0;
}
