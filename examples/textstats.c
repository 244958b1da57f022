// textstats: line, word and byte counts, a CRC-32 per file, and the most
// frequent words, for files and directory trees (walked in name order).
//
//   textstats [-n TOP] PATH...
//
// Built to wasm32-wasi (textstats.wasm) it runs under `kiln run` with the
// directories it reads preopened:
//
//   kiln run --dir examples/data::data textstats.wasm data
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// --- CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
static uint32_t crc_table[256];

static void CrcInit(void) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32_t CrcUpdate(uint32_t crc, const unsigned char* p, size_t n) {
  crc = ~crc;
  while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// --- Word frequencies: an open-addressing hash table that grows.
struct Word {
  char* text;
  long count;
};
static struct Word* words;
static size_t words_cap, words_len;

static uint64_t Hash(const char* s) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
  return h;
}

static void Grow(void) {
  size_t old_cap = words_cap;
  struct Word* old = words;
  words_cap = old_cap ? old_cap * 2 : 1024;
  words = calloc(words_cap, sizeof(*words));
  for (size_t i = 0; i < old_cap; ++i) {
    if (!old[i].text) continue;
    size_t j = Hash(old[i].text) & (words_cap - 1);
    while (words[j].text) j = (j + 1) & (words_cap - 1);
    words[j] = old[i];
  }
  free(old);
}

static void CountWord(const char* w) {
  if (words_len * 2 >= words_cap) Grow();
  size_t j = Hash(w) & (words_cap - 1);
  while (words[j].text && strcmp(words[j].text, w) != 0) {
    j = (j + 1) & (words_cap - 1);
  }
  if (!words[j].text) {
    words[j].text = strdup(w);
    ++words_len;
  }
  ++words[j].count;
}

static int ByCountThenText(const void* a, const void* b) {
  const struct Word* x = a;
  const struct Word* y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return strcmp(x->text, y->text);
}

// --- Files.
struct Totals {
  long files, lines, words, bytes;
};
static struct Totals total;
static int errors;

static void DoFile(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "textstats: %s: %s\n", path, strerror(errno));
    ++errors;
    return;
  }
  unsigned char buf[8192];
  char word[64];
  size_t wlen = 0;
  long lines = 0, nwords = 0, bytes = 0;
  uint32_t crc = 0;
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
    crc = CrcUpdate(crc, buf, n);
    bytes += (long)n;
    for (size_t i = 0; i < n; ++i) {
      unsigned char c = buf[i];
      if (c == '\n') ++lines;
      if (isalnum(c) || c == '\'') {
        if (wlen + 1 < sizeof(word)) word[wlen++] = (char)tolower(c);
      } else if (wlen) {
        word[wlen] = 0;
        CountWord(word);
        ++nwords;
        wlen = 0;
      }
    }
  }
  if (wlen) {
    word[wlen] = 0;
    CountWord(word);
    ++nwords;
  }
  fclose(f);
  printf("%7ld %7ld %8ld  %08x  %s\n", lines, nwords, bytes, crc, path);
  total.files++;
  total.lines += lines;
  total.words += nwords;
  total.bytes += bytes;
}

static int ByName(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

static void DoPath(const char* path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    fprintf(stderr, "textstats: %s: %s\n", path, strerror(errno));
    ++errors;
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    DoFile(path);
    return;
  }
  DIR* d = opendir(path);
  if (!d) {
    fprintf(stderr, "textstats: %s: %s\n", path, strerror(errno));
    ++errors;
    return;
  }
  char** names = NULL;
  size_t len = 0, cap = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    if (len == cap) {
      cap = cap ? cap * 2 : 16;
      names = realloc(names, cap * sizeof(*names));
    }
    names[len] = malloc(strlen(path) + strlen(e->d_name) + 2);
    sprintf(names[len++], "%s/%s", path, e->d_name);
  }
  closedir(d);
  qsort(names, len, sizeof(*names), ByName);
  for (size_t i = 0; i < len; ++i) {
    DoPath(names[i]);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char** argv) {
  int top = 10;
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
    top = atoi(argv[i + 1]);
    i += 2;
  }
  if (i >= argc) {
    fprintf(stderr, "usage: textstats [-n TOP] PATH...\n");
    return 2;
  }
  CrcInit();
  printf("  lines   words    bytes     crc32  file\n");
  for (; i < argc; ++i) DoPath(argv[i]);
  printf("%7ld %7ld %8ld            total (%ld files)\n", total.lines,
         total.words, total.bytes, total.files);

  struct Word* list = malloc((words_len ? words_len : 1) * sizeof(*list));
  size_t k = 0;
  for (size_t j = 0; j < words_cap; ++j) {
    if (words[j].text) list[k++] = words[j];
  }
  qsort(list, k, sizeof(*list), ByCountThenText);
  printf("\n%zu distinct words; the %d most frequent:\n", k, top);
  for (int j = 0; j < top && (size_t)j < k; ++j) {
    printf("  %6ld  %s\n", list[j].count, list[j].text);
  }
  return errors ? 1 : 0;
}
