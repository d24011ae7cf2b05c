int main() {
  int i = 0, c = 0;
  while (i < 20) {
    i++;
    if (unknown()) continue;
    c++;
  }
  assert(c <= 20);
  return 0;
}
