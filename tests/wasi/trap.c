// A trap (unreachable) two calls deep: kiln prints the trap and a
// backtrace naming the functions and exits 134; natively it is SIGILL.
#include <stdio.h>

__attribute__((noinline)) void crash_here(volatile int* p) {
  if (*p == 42) __builtin_trap();
}

__attribute__((noinline)) void level_two(volatile int* p) {
  crash_here(p);
  *p += 1;
}

int main(void) {
  volatile int v = 42;
  printf("before the trap\n");
  fflush(stdout);
  level_two(&v);
  printf("after the trap (must not print)\n");
  return 0;
}
