// Arguments and the environment (only KILN_* variables: the native run
// inherits the test's environment).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char** environ;

static int cmp(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int main(int argc, char** argv) {
  printf("argc = %d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d] = \"%s\"\n", i, argv[i]);
  const char* vars[64];
  int n = 0;
  for (char** e = environ; *e != NULL && n < 64; ++e) {
    if (strncmp(*e, "KILN_", 5) == 0) vars[n++] = *e;
  }
  qsort(vars, n, sizeof(vars[0]), cmp);
  for (int i = 0; i < n; ++i) printf("env %s\n", vars[i]);
  const char* g = getenv("KILN_GREETING");
  printf("getenv(KILN_GREETING) = %s\n", g ? g : "(null)");
  printf("getenv(KILN_MISSING) = %s\n", getenv("KILN_MISSING") ? "set" : "(null)");
  return 0;
}
