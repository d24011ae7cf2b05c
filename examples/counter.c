// Two counters that move together: y stays twice x, so y ends at 2 * n.
int main() {
  int n, x = 0, y = 0;
  assume(n >= 0);            // n is an arbitrary input, assumed non-negative
  while (x < n) {
    x = x + 1;
    y = y + 2;
  }
  assert(y == 2 * n);
  return 0;
}
