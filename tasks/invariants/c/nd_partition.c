int main() {
  int i = 0, x = 0, y = 0;
  while (unknown()) {
    if (unknown()) {
      x++;
    } else {
      y++;
    }
    i++;
  }
  assert(x + y == i);
  return 0;
}
