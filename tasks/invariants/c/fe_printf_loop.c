#include <stdio.h>
int main(void) {
  int n = __VERIFIER_nondet_int();
  if (n < 0) return 0;
  int i = 0, even = 0;
  while (i < n) {
    printf("step %d: even=%d\n", i, even);
    i++;
    even += 2;
  }
  puts("done");
  __VERIFIER_assert(even == 2 * i);
  return 0;
}
