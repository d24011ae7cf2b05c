int main() {
  int n, i, s = 0;
  assume(n > 0);
  for (i = 0; i < n; i++) s++;
  for (i = 0; i < n; i++) s--;
  assert(s == 0);
  return 0;
}
