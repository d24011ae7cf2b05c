int main() {
  int x = 0, y = 0, z = 0;
  while (x < 5) x++;
  while (y < x) y++;
  while (z < y) z++;
  assert(z == 5);
  return 0;
}
