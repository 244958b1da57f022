// Attempts to leave the preopened directory "data" (the test creates
// data/inner.txt, data/link_out -> ../secret.txt, data/abs_link -> an
// absolute path to secret.txt, data/dir_out -> .., data/link_in ->
// inner.txt). Every escape must fail; the links that stay inside work.
// Natively the escapes succeed, so the output is compared with
// escape.expected.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void try_open(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open %-28s blocked\n", path);
    return;
  }
  char buf[64] = {0};
  read(fd, buf, sizeof(buf) - 1);
  buf[strcspn(buf, "\n")] = 0;
  printf("open %-28s OPENED [%s]\n", path, buf);
  close(fd);
}

static void try_stat(const char* path) {
  struct stat st;
  printf("stat %-28s %s\n", path, stat(path, &st) == 0 ? "FOUND" : "blocked");
}

int main(void) {
  try_open("data/inner.txt");
  try_open("data/link_in");
  try_open("data/../secret.txt");
  try_open("data/./../secret.txt");
  try_open("data/sub/../../secret.txt");
  try_open("../secret.txt");
  try_open("secret.txt");
  try_open("/etc/passwd");
  try_open("data/../../../../etc/passwd");
  try_open("data/link_out");
  try_open("data/abs_link");
  try_open("data/dir_out/secret.txt");
  try_stat("data/link_out");
  try_stat("data/dir_out/secret.txt");
  try_stat("data/..");
  DIR* d = opendir("data/dir_out");
  printf("opendir data/dir_out %s\n", d ? "OPENED" : "blocked");
  if (d) closedir(d);
  printf("mkdir data/../evil %s\n", mkdir("data/../evil", 0755) == 0 ? "CREATED" : "blocked");
  printf("rename out %s\n",
         rename("data/inner.txt", "data/../stolen.txt") == 0 ? "MOVED" : "blocked");
  // A hard link to a symlink links the symlink itself (inside), which
  // still cannot be followed out.
  printf("link of data/link_out %s\n",
         link("data/link_out", "data/hard") == 0 ? "made" : "failed");
  try_open("data/hard");
  int fd = open("data/dir_out/evil.txt", O_WRONLY | O_CREAT, 0644);
  printf("create through dir_out %s\n", fd >= 0 ? "CREATED" : "blocked");
  printf("unlink through link_out dir %s\n",
         unlink("data/dir_out/secret.txt") == 0 ? "REMOVED" : "blocked");
  try_open("data/inner.txt");
  return 0;
}
