int main() {
  int c = 0, n = 0;
  while (unknown()) {
    c++;
    if (c == 4) {
      c = 0;
      n++;
    }
  }
  assert(c >= 0 && c < 4);
  return 0;
}
