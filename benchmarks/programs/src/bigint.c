// Big integers: 32-bit limbs with 64-bit products. Computes N! by
// multiply-by-small, squares it with schoolbook multiplication, and
// converts the square to decimal by repeated division by 10^9 (quadratic),
// like arbitrary-precision code in crypto and computer algebra.
#include "bench_common.h"

typedef struct {
  uint32_t* limbs;  // little endian
  size_t n, cap;
} Big;

static void Reserve(Big* b, size_t cap) {
  if (cap <= b->cap) return;
  b->limbs = realloc(b->limbs, cap * sizeof(uint32_t));
  if (!b->limbs) exit(1);
  b->cap = cap;
}

static void MulSmall(Big* b, uint32_t m) {
  uint64_t carry = 0;
  for (size_t i = 0; i < b->n; i++) {
    uint64_t t = (uint64_t)b->limbs[i] * m + carry;
    b->limbs[i] = (uint32_t)t;
    carry = t >> 32;
  }
  if (carry) {
    Reserve(b, b->n + 1);
    b->limbs[b->n++] = (uint32_t)carry;
  }
}

static void Mul(const Big* a, const Big* b, Big* out) {
  Reserve(out, a->n + b->n);
  memset(out->limbs, 0, (a->n + b->n) * sizeof(uint32_t));
  for (size_t i = 0; i < a->n; i++) {
    uint64_t carry = 0, ai = a->limbs[i];
    uint32_t* o = out->limbs + i;
    for (size_t j = 0; j < b->n; j++) {
      uint64_t t = ai * b->limbs[j] + o[j] + carry;
      o[j] = (uint32_t)t;
      carry = t >> 32;
    }
    o[b->n] = (uint32_t)carry;
  }
  out->n = a->n + b->n;
  while (out->n > 1 && out->limbs[out->n - 1] == 0) out->n--;
}

// Divides b by d in place, returns the remainder.
static uint32_t DivSmall(Big* b, uint32_t d) {
  uint64_t rem = 0;
  for (size_t i = b->n; i-- > 0;) {
    uint64_t cur = rem << 32 | b->limbs[i];
    b->limbs[i] = (uint32_t)(cur / d);
    rem = cur % d;
  }
  while (b->n > 1 && b->limbs[b->n - 1] == 0) b->n--;
  return (uint32_t)rem;
}

int main(int argc, char** argv) {
  uint32_t n = (uint32_t)BenchSize(argc, argv, 18000, 300);
  Big f = {0}, sq = {0};
  Reserve(&f, 1);
  f.limbs[0] = 1;
  f.n = 1;
  for (uint32_t k = 2; k <= n; k++) MulSmall(&f, k);
  Mul(&f, &f, &sq);
  // Decimal digits in groups of 9, least significant first.
  size_t groups_cap = sq.n * 32 / 29 + 2, groups = 0;
  uint32_t* dec = BenchAlloc(groups_cap * sizeof(uint32_t));
  while (sq.n > 1 || sq.limbs[0] != 0) dec[groups++] = DivSmall(&sq, 1000000000u);
  char buf[16];
  int len = snprintf(buf, sizeof buf, "%u", dec[groups - 1]);
  size_t digits = (size_t)len + (groups - 1) * 9;
  uint64_t hash = BenchFnv(BENCH_FNV_INIT, buf, (size_t)len);
  for (size_t g = groups - 1; g-- > 0;) {
    snprintf(buf, sizeof buf, "%09u", dec[g]);
    hash = BenchFnv(hash, buf, 9);
  }
  printf("n: %u\nfactorial limbs: %zu\nsquare digits: %zu\nleading: %u\nhash: %016" PRIx64 "\n", n,
         f.n, digits, dec[groups - 1], hash);
  return 0;
}
