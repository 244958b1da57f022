// Reading and writing files in the directory "data" (preopened for the
// guest; the current directory's "data" natively).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void cat(const char* path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("cat %s: %s\n", path, ErrName(errno));
    return;
  }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  buf[n < 0 ? 0 : n] = 0;
  printf("cat %s: [%s]\n", path, buf);
  close(fd);
}

static void size(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    printf("size %s: %s\n", path, ErrName(errno));
    return;
  }
  printf("size %s: %lld (%s, nlink %d)\n", path, (long long)st.st_size,
         S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other",
         (int)st.st_nlink);
}

int main(void) {
  CHECK(mkdir("data/sub", 0755));
  FILE* f = fopen("data/sub/a.txt", "w");
  fputs("hello\nworld\n", f);
  fclose(f);
  cat("data/sub/a.txt");
  size("data/sub/a.txt");

  int fd = open("data/sub/a.txt", O_WRONLY | O_APPEND);
  CHECK(write(fd, "more\n", 5));
  CHECK(close(fd));
  cat("data/sub/a.txt");

  fd = open("data/sub/a.txt", O_RDWR);
  char buf[16] = {0};
  CHECK(pread(fd, buf, 5, 6));
  printf("pread: [%s]\n", buf);
  CHECK(pwrite(fd, "HELLO", 5, 0));
  printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
  printf("lseek set: %lld\n", (long long)lseek(fd, 3, SEEK_SET));
  memset(buf, 0, sizeof(buf));
  CHECK(read(fd, buf, 4));
  printf("read after seek: [%s]\n", buf);
  CHECK(ftruncate(fd, 8));
  CHECK(fsync(fd));
  CHECK(fdatasync(fd));
  struct stat st;
  CHECK(fstat(fd, &st));
  printf("fstat size: %lld\n", (long long)st.st_size);
  CHECK(close(fd));
  CHECK(close(fd));
  cat("data/sub/a.txt");

  struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
  CHECK(utimensat(AT_FDCWD, "data/sub/a.txt", times, 0));
  CHECK(stat("data/sub/a.txt", &st));
  printf("mtime: %lld.%09ld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

  CHECK(rename("data/sub/a.txt", "data/sub/b.txt"));
  size("data/sub/a.txt");
  CHECK(link("data/sub/b.txt", "data/sub/c.txt"));
  size("data/sub/b.txt");
  CHECK(unlink("data/sub/c.txt"));
  CHECK(symlink("b.txt", "data/sub/l"));
  char target[64] = {0};
  CHECK(readlink("data/sub/l", target, sizeof(target) - 1));
  printf("readlink: [%s]\n", target);
  cat("data/sub/l");
  CHECK(lstat("data/sub/l", &st));
  printf("lstat is link: %d\n", S_ISLNK(st.st_mode));

  CHECK(unlink("data/sub/missing"));
  CHECK(rmdir("data/sub"));
  CHECK(unlink("data/sub"));
  CHECK(mkdir("data/sub", 0755));
  CHECK(open("data/nope/x", O_RDONLY));
  CHECK(open("data/sub", O_WRONLY));
  CHECK(open("data/sub/b.txt/x", O_RDONLY));
  CHECK(open("data/sub/b.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
  CHECK(open("data/sub/new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
  size("data/sub/new.txt");
  CHECK(unlink("data/sub/new.txt"));
  CHECK(unlink("data/sub/b.txt"));
  CHECK(unlink("data/sub/l"));
  CHECK(rmdir("data/sub"));
  size("data/sub");
  size("data/input.txt");
  cat("data/input.txt");
  return 0;
}
