int main() {
  int i = 0, c = 0;
  while (i < 3) {
    int j = 0;
    while (j <= 3) {
      j++;
      c++;
    }
    i++;
  }
  assert(c == 9);
  return 0;
}
