int main() {
  int x = 0, y = 0;
  while (x < 100) x++;
  while (y < x) y++;
  assert(y == 100);
  return 0;
}
