// y climbs for the first 50 steps and falls for the next 50: it ends where it started.
// Proving it needs a disjunctive invariant (one relation per phase).
int main() {
  int x = 0, y = 0;
  while (x < 100) {
    if (x < 50) y++; else y--;
    x++;
  }
  assert(y == 0);
  return 0;
}
