// Directory listing: many entries (several fd_readdir buffers), entry
// types, telldir/seekdir cookies.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int cmp(const void* a, const void* b) {
  return strcmp(*(const char* const*)a, *(const char* const*)b);
}

int main(void) {
  CHECK(mkdir("data/list", 0755));
  char path[128];
  for (int i = 0; i < 300; ++i) {
    snprintf(path, sizeof(path), "data/list/file_with_a_longish_name_%03d", i);
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    close(fd);
  }
  CHECK(mkdir("data/list/subdir", 0755));
  CHECK(symlink("subdir", "data/list/link"));

  DIR* d = opendir("data/list");
  if (d == NULL) {
    printf("opendir: %s\n", ErrName(errno));
    return 1;
  }
  char* names[400];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL && n < 400) {
    char kind = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f'
              : e->d_type == DT_LNK ? 'l' : '?';
    char* s = malloc(strlen(e->d_name) + 3);
    sprintf(s, "%c %s", kind, e->d_name);
    names[n++] = s;
  }
  printf("entries: %d\n", n);
  qsort(names, n, sizeof(names[0]), cmp);
  for (int i = 0; i < n; ++i) {
    if (i < 6 || i >= n - 4) printf("  %s\n", names[i]);
  }

  // A cookie from telldir brings readdir back to the same entry.
  rewinddir(d);
  for (int i = 0; i < 100; ++i) readdir(d);
  long pos = telldir(d);
  e = readdir(d);
  char first[256];
  strcpy(first, e->d_name);
  for (int i = 0; i < 50; ++i) readdir(d);
  seekdir(d, pos);
  e = readdir(d);
  printf("seekdir returns to the same entry: %s\n",
         strcmp(first, e->d_name) == 0 ? "yes" : "no");
  closedir(d);

  for (int i = 0; i < 300; ++i) {
    snprintf(path, sizeof(path), "data/list/file_with_a_longish_name_%03d", i);
    unlink(path);
  }
  CHECK(unlink("data/list/link"));
  CHECK(rmdir("data/list/subdir"));
  CHECK(rmdir("data/list"));
  CHECK(opendir("data/list") ? 0 : -1);
  return 0;
}
