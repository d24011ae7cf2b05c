int main() {
  int lo = 0, hi = 100;
  while (lo < hi) {
    if (unknown()) lo++; else hi--;
  }
  assert(lo == hi);
  return 0;
}
