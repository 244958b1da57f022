// Shared by the programs of benchmarks/programs/: problem size from the
// command line, a deterministic generator, and the checksum line.
//
// Every program runs `PROGRAM [small]`: without an argument it runs the full
// size (0.3-3 s natively), with `small` a size that runs in milliseconds (CI
// checks outputs only). It prints one or more `name: value` lines that must be
// identical natively and in wasm.
#ifndef KILN_BENCHMARKS_PROGRAMS_BENCH_COMMON_H_
#define KILN_BENCHMARKS_PROGRAMS_BENCH_COMMON_H_

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// Returns `small` when the program was started with the argument "small",
// else `full`.
static inline long BenchSize(int argc, char** argv, long full, long small) {
  if (argc > 1 && strcmp(argv[1], "small") == 0) return small;
  return full;
}

// splitmix64: the same sequence on every platform, seeded per program.
typedef struct {
  uint64_t state;
} BenchRng;

static inline uint64_t BenchNext(BenchRng* rng) {
  uint64_t z = (rng->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, bound) (bound > 0; the small modulo bias does not matter).
static inline uint32_t BenchBelow(BenchRng* rng, uint32_t bound) {
  return (uint32_t)(BenchNext(rng) % bound);
}

// FNV-1a over bytes, for checksums of buffers.
static inline uint64_t BenchFnv(uint64_t h, const void* data, size_t n) {
  const unsigned char* p = (const unsigned char*)data;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001B3ull;
  }
  return h;
}
#define BENCH_FNV_INIT 0xCBF29CE484222325ull

static inline void* BenchAlloc(size_t n) {
  void* p = malloc(n);
  if (p == NULL) {
    fprintf(stderr, "out of memory (%zu bytes)\n", n);
    exit(1);
  }
  return p;
}

#endif  // KILN_BENCHMARKS_PROGRAMS_BENCH_COMMON_H_
