// Mandelbrot: escape-time iteration over a grid of the complex plane
// (double precision), bitmap packed 8 pixels a byte as in the Benchmarks
// Game, hashed.
#include "bench_common.h"

int main(int argc, char** argv) {
  int size = (int)BenchSize(argc, argv, 3000, 120);
  const int max_iter = 50;
  int row_bytes = (size + 7) / 8;
  unsigned char* row = BenchAlloc((size_t)row_bytes);
  uint64_t hash = BENCH_FNV_INIT;
  long inside = 0;
  for (int y = 0; y < size; y++) {
    double ci = 2.0 * y / size - 1.0;
    memset(row, 0, (size_t)row_bytes);
    for (int x = 0; x < size; x++) {
      double cr = 2.0 * x / size - 1.5;
      double zr = 0, zi = 0, tr = 0, ti = 0;
      int i = 0;
      while (i < max_iter && tr + ti <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = tr - ti + cr;
        tr = zr * zr;
        ti = zi * zi;
        i++;
      }
      if (tr + ti <= 4.0) {
        row[x >> 3] |= (unsigned char)(0x80 >> (x & 7));
        inside++;
      }
    }
    hash = BenchFnv(hash, row, (size_t)row_bytes);
  }
  printf("size: %d\ninside: %ld\nhash: %016" PRIx64 "\n", size, inside, hash);
  return 0;
}
