int main() {
  double scale = 0.5;
  int r = read_sensor();
  if (r > 100) {
    r = 101;
  }
  scale = scale * 2.0;
  __VERIFIER_assert(r <= 100);
  return 0;
}
