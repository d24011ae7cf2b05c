int main() {
  int i = 0, k;
  assume(k == 0 || k == 1);
  while (i < 10) {
    i++;
    if (k == 1) k = 0; else k = 1;
  }
  assert(k == 0 || k == 1);
  return 0;
}
