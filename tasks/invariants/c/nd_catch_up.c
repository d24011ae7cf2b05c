int main() {
  int p = 0, q = 10;
  while (unknown()) {
    if (p < q) p++; else q++;
  }
  assert(p <= q);
  return 0;
}
