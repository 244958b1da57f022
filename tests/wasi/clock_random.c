// Clocks (time, resolution, sleeping through poll_oneoff) and random.
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

static long long ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(void) {
  printf("realtime after 2020: %s\n",
         ns(CLOCK_REALTIME) > 1577836800ll * 1000000000ll ? "yes" : "no");
  printf("time() after 2020: %s\n", time(NULL) > 1577836800 ? "yes" : "no");
  struct timespec res;
  clock_getres(CLOCK_MONOTONIC, &res);
  printf("monotonic resolution <= 1ms: %s\n",
         res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000 ? "yes" : "no");
  long long t0 = ns(CLOCK_MONOTONIC);
  struct timespec req = {0, 20 * 1000000};
  nanosleep(&req, NULL);
  long long t1 = ns(CLOCK_MONOTONIC);
  printf("nanosleep 20ms slept >= 20ms: %s\n", t1 - t0 >= 20000000 ? "yes" : "no");
  usleep(10000);
  long long t2 = ns(CLOCK_MONOTONIC);
  printf("usleep 10ms slept >= 10ms: %s\n", t2 - t1 >= 10000000 ? "yes" : "no");
  poll(NULL, 0, 15);
  long long t3 = ns(CLOCK_MONOTONIC);
  printf("poll 15ms waited >= 15ms: %s\n", t3 - t2 >= 15000000 ? "yes" : "no");
  printf("monotonic never goes back: %s\n", t0 <= t1 && t1 <= t2 && t2 <= t3 ? "yes" : "no");
  printf("process cputime readable: %s\n", ns(CLOCK_PROCESS_CPUTIME_ID) >= 0 ? "yes" : "no");

  unsigned char a[64], b[64], zero[64] = {0};
  getentropy(a, sizeof(a));
  getentropy(b, sizeof(b));
  printf("random differs: %s\n", memcmp(a, b, sizeof(a)) != 0 ? "yes" : "no");
  printf("random nonzero: %s\n", memcmp(a, zero, sizeof(a)) != 0 ? "yes" : "no");
  return 0;
}
