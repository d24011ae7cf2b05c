// An off-by-one bug: the loop runs while i <= n, so i ends at n + 1.
// recursa reports the assertion as violated, with a run that reaches it.
int main() {
  int i = 0, n;
  assume(n >= 0);
  while (i <= n) {
    i++;
  }
  assert(i == n);
  return 0;
}
