int main() {
  int i = 0, found = 0, n;
  assume(n >= 0);
  while (i < n) {
    int j = 0;
    while (j < n) {
      if (unknown()) {
        found++;
        break;
      }
      j++;
    }
    i++;
  }
  assert(found <= n);
  return 0;
}
