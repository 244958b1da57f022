// poll_oneoff with an fd subscription and a timeout: stdin is a pipe that
// stays empty for a while, then gets a line (the test runs
// `(sleep 0.3; echo hi) | poll_stdin`).
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  struct pollfd p = {0, POLLIN, 0};
  int r = poll(&p, 1, 50);
  printf("poll on the empty pipe for 50ms: %d ready\n", r);
  r = poll(&p, 1, 5000);
  printf("poll until data: %d ready, readable %s\n", r,
         (p.revents & POLLIN) ? "yes" : "no");
  char buf[64] = {0};
  ssize_t n = read(0, buf, sizeof(buf) - 1);
  printf("read %zd bytes: %s", n, buf);
  r = poll(&p, 1, 5000);
  n = read(0, buf, sizeof(buf));
  printf("at end of input: poll %d ready, read %zd\n", r, n);
  return 0;
}
