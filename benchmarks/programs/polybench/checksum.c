// The dump hasher behind checksum.h. PolyBench dumps each live-out array
// as "begin dump: NAME", one DATA_PRINTF_MODIFIER value per element
// ("%0.2lf " for doubles, "%0.2f " for floats, "%d " for ints), line
// breaks, "end dump: NAME". Values are hashed as printed with two decimals
// (rounded to hundredths), as the reference dumps compare them, so libm
// differences in the last bit between glibc and wasi-libc do not count.
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t hash = 0xCBF29CE484222325ull;
static uint64_t values = 0;
static double sum = 0;

static void Mix(uint64_t v) {
  hash ^= v;
  hash *= 0x100000001B3ull;
  hash ^= hash >> 29;
}

int PolybenchChecksumPrintf(FILE* stream, const char* format, ...) {
  va_list args;
  va_start(args, format);
  int result = 0;
  if (stream != stderr) {
    result = vfprintf(stream, format, args);
  } else if (strncmp(format, "%0.2", 4) == 0) {
    double v = va_arg(args, double);
    Mix((uint64_t)llround(v * 100.0));
    values++;
    sum += v;
  } else if (strcmp(format, "%d ") == 0) {
    Mix((uint64_t)(int64_t)va_arg(args, int));
    values++;
  } else if (strncmp(format, "begin dump: %s", 14) == 0) {
    const char* name = va_arg(args, const char*);
    for (; *name; name++) Mix((unsigned char)*name);
  } else if (strncmp(format, "==END", 5) == 0) {
    printf("values: %llu\nchecksum: %016llx\nsum: %.4e\n", (unsigned long long)values,
           (unsigned long long)hash, sum);
  }
  // Line breaks, "end dump" and "==BEGIN" carry nothing to hash.
  va_end(args);
  return result;
}
