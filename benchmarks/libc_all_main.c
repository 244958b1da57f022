// The main of the module_load benchmark's large module: all of wasi-libc
// and libm linked in (--whole-archive, every symbol exported so nothing is
// dropped), about 1100 functions / 560 KB of wasm.
#include <stdio.h>

int main(int argc, char** argv) {
  printf("%d %s\n", argc, argv[0]);
  return 0;
}
