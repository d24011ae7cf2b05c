int main() {
  int x = 0;
  do {
    x++;
  } while (x < 10);
  assert(x == 9);
  return 0;
}
