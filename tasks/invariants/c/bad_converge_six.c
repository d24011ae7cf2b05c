int main() {
  int i = 0, j = 10;
  while (i < j) {
    i++;
    j--;
  }
  assert(i == 6);
  return 0;
}
