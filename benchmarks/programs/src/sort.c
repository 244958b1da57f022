// A sort: hand-written introsort-style quicksort (median of three,
// insertion sort for short ranges) on 32-bit keys, and a stable bottom-up
// merge sort on key/value records, over generated data with runs and
// duplicates.
#include "bench_common.h"

typedef struct {
  uint32_t key;
  uint32_t value;
} Record;

static void InsertionSort(uint32_t* a, long lo, long hi) {
  for (long i = lo + 1; i <= hi; i++) {
    uint32_t v = a[i];
    long j = i - 1;
    while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
    a[j + 1] = v;
  }
}

static void QuickSort(uint32_t* a, long lo, long hi) {
  while (hi - lo > 16) {
    long mid = lo + (hi - lo) / 2;
    uint32_t x = a[lo], y = a[mid], z = a[hi];
    uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    // Recurse into the smaller half, loop on the larger.
    if (j - lo < hi - i) { QuickSort(a, lo, j); lo = i; }
    else { QuickSort(a, i, hi); hi = j; }
  }
  InsertionSort(a, lo, hi);
}

static void MergeSort(Record* a, Record* tmp, size_t n) {
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) tmp[k++] = a[j].key < a[i].key ? a[j++] : a[i++];
      while (i < mid) tmp[k++] = a[i++];
      while (j < hi) tmp[k++] = a[j++];
    }
    Record* t = a; a = tmp; tmp = t;
    // Keep the result in the caller's array: copy back when it ends in tmp.
    if (width * 2 >= n) { memcpy(tmp, a, n * sizeof(Record)); }
  }
}

int main(int argc, char** argv) {
  size_t n = (size_t)BenchSize(argc, argv, 2000000, 20000);
  BenchRng rng = {99};
  uint32_t* keys = BenchAlloc(n * sizeof(uint32_t));
  Record* recs = BenchAlloc(n * sizeof(Record));
  Record* tmp = BenchAlloc(n * sizeof(Record));
  uint64_t check = BENCH_FNV_INIT;
  for (int round = 0; round < 3; round++) {
    for (size_t i = 0; i < n; i++) {
      uint32_t r = (uint32_t)BenchNext(&rng);
      // Round 0 random, 1 many duplicates, 2 nearly sorted.
      keys[i] = round == 0 ? r : round == 1 ? r % 1000 : (uint32_t)i * 4 + (r % 64 == 0 ? r % 4096 : 0);
      recs[i].key = keys[i] >> 8;
      recs[i].value = (uint32_t)i;
    }
    QuickSort(keys, 0, (long)n - 1);
    MergeSort(recs, tmp, n);
    int sorted = 1, stable = 1;
    for (size_t i = 1; i < n; i++) {
      if (keys[i - 1] > keys[i]) sorted = 0;
      if (recs[i - 1].key > recs[i].key ||
          (recs[i - 1].key == recs[i].key && recs[i - 1].value > recs[i].value)) stable = 0;
    }
    for (size_t i = 0; i < n; i += 97) {
      check = (check ^ keys[i]) * 0x100000001B3ull;
      check = (check ^ recs[i].value) * 0x100000001B3ull;
    }
    printf("round %d: sorted=%d stable=%d median=%u\n", round, sorted, stable, keys[n / 2]);
  }
  printf("checksum: %016" PRIx64 "\n", check);
  return 0;
}
