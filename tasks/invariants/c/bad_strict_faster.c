int main() {
  int i = 0, j = 0;
  while (i < 100) {
    i++;
    if (unknown()) j += 2; else j++;
  }
  assert(j > i);
  return 0;
}
