int main() {
  int i = 0, j = 0;
  _Bool up = 1;
  while (i < 20) {
    if (up) j++; else j--;
    up = !up;
    i++;
  }
  assert(j >= 0 && j <= 1);
  return 0;
}
