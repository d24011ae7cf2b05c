int main() {
  int a = 0, b = 0, c = 0, k;
  assume(k >= 0);
  while (a < k) {
    a++;
    b += 3;
    c += 2;
  }
  assert(3 * c == 2 * b);
  return 0;
}
