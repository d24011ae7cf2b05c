// Nested loops: each outer round adds n and then removes n, so a returns to 0.
// Each loop gets its own invariant.
int main() {
  int a = 0, n;
  assume(n >= 0);
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) a++;
    for (int k = 0; k < n; k++) a--;
  }
  assert(a == 0);
  return 0;
}
