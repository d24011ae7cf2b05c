int main() {
  int i = 0, j = 10;
  while (i < j) {
    i++;
    j--;
  }
  assert(i == 5);
  return 0;
}
