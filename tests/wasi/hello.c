// Hello world on stdout and stderr, and a byte count of stdin.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  printf("Hello, world!\n");
  fprintf(stderr, "hello on stderr\n");
  fflush(stdout);
  const char msg[] = "written with write(2)\n";
  write(1, msg, sizeof(msg) - 1);
  char buf[4096];
  size_t total = 0, lines = 0;
  ssize_t n;
  while ((n = read(0, buf, sizeof(buf))) > 0) {
    total += (size_t)n;
    for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
  }
  printf("stdin: %zu bytes, %zu lines\n", total, lines);
  printf("isatty(1) = %d\n", isatty(1));
  return 0;
}
