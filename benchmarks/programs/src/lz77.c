// A compressor: LZ77 with hash chains (32 KiB window, lazy-free greedy
// matching, LZ4-like token stream) over generated text, then decompression
// and a round-trip check.
#include "bench_common.h"

enum { kWindow = 1 << 15, kHashBits = 15, kMinMatch = 4, kMaxChain = 48 };

static const char* const kWords[] = {
    "the ", "of ", "and ", "compile ", "module ", "memory ", "function ",
    "table ", "value ", "engine ", "store ", "instance ", "wasm ", "a ",
    "is ", "to ", "in ", "native ", "code ", "loop ", "block ", "branch ",
    "call ", "return ", "local ", "global ", "i32 ", "i64 ", "f64 ", ". ",
    ", ", "\n"};

static void GenerateText(unsigned char* out, size_t n, BenchRng* rng) {
  size_t pos = 0;
  const size_t nwords = sizeof(kWords) / sizeof(kWords[0]);
  while (pos < n) {
    // Skewed word choice so that some phrases repeat often.
    uint32_t r = BenchBelow(rng, 1000);
    size_t w = r < 600 ? r % 8 : r % nwords;
    const char* s = kWords[w];
    while (*s && pos < n) out[pos++] = (unsigned char)*s++;
    if (BenchBelow(rng, 16) == 0 && pos < n) out[pos++] = (unsigned char)('0' + BenchBelow(rng, 10));
  }
}

static uint32_t Hash4(const unsigned char* p) {
  uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  return (v * 2654435761u) >> (32 - kHashBits);
}

static unsigned char* PutLength(unsigned char* op, size_t len) {
  while (len >= 255) {
    *op++ = 255;
    len -= 255;
  }
  *op++ = (unsigned char)len;
  return op;
}

// Token: high nibble literal count, low nibble match length - 4 (15 =
// extended), then literals, then a 2-byte offset. Returns the output size.
static size_t Compress(const unsigned char* in, size_t n, unsigned char* out,
                       int32_t* head, int32_t* prev) {
  for (size_t i = 0; i < (1u << kHashBits); i++) head[i] = -1;
  unsigned char* op = out;
  size_t anchor = 0, i = 0;
  while (i + kMinMatch <= n) {
    uint32_t h = Hash4(in + i);
    int32_t cand = head[h];
    prev[i & (kWindow - 1)] = cand;
    head[h] = (int32_t)i;
    size_t best_len = 0, best_off = 0;
    for (int chain = 0; cand >= 0 && chain < kMaxChain; chain++) {
      size_t off = i - (size_t)cand;
      if (off >= kWindow) break;
      if (in[cand + best_len] == in[i + best_len]) {
        size_t len = 0;
        while (i + len < n && in[cand + len] == in[i + len]) len++;
        if (len > best_len) {
          best_len = len;
          best_off = off;
        }
      }
      cand = prev[cand & (kWindow - 1)];
    }
    if (best_len < kMinMatch) {
      i++;
      continue;
    }
    size_t lit = i - anchor;
    size_t ml = best_len - kMinMatch;
    unsigned char* token = op++;
    *token = (unsigned char)((lit < 15 ? lit : 15) << 4 | (ml < 15 ? ml : 15));
    if (lit >= 15) op = PutLength(op, lit - 15);
    memcpy(op, in + anchor, lit);
    op += lit;
    *op++ = (unsigned char)best_off;
    *op++ = (unsigned char)(best_off >> 8);
    if (ml >= 15) op = PutLength(op, ml - 15);
    // Insert the matched positions into the chains.
    for (size_t k = 1; k < best_len && i + k + kMinMatch <= n; k++) {
      uint32_t hk = Hash4(in + i + k);
      prev[(i + k) & (kWindow - 1)] = head[hk];
      head[hk] = (int32_t)(i + k);
    }
    i += best_len;
    anchor = i;
  }
  size_t lit = n - anchor;
  *op++ = (unsigned char)((lit < 15 ? lit : 15) << 4);
  if (lit >= 15) op = PutLength(op, lit - 15);
  memcpy(op, in + anchor, lit);
  op += lit;
  return (size_t)(op - out);
}

static size_t ReadLength(const unsigned char** ip) {
  size_t len = 0;
  unsigned char b;
  do {
    b = *(*ip)++;
    len += b;
  } while (b == 255);
  return len;
}

static size_t Decompress(const unsigned char* in, size_t n, unsigned char* out) {
  const unsigned char* ip = in;
  const unsigned char* end = in + n;
  unsigned char* op = out;
  while (ip < end) {
    unsigned token = *ip++;
    size_t lit = token >> 4;
    if (lit == 15) lit += ReadLength(&ip);
    memcpy(op, ip, lit);
    op += lit;
    ip += lit;
    if (ip >= end) break;
    size_t off = (size_t)ip[0] | (size_t)ip[1] << 8;
    ip += 2;
    size_t ml = token & 15;
    if (ml == 15) ml += ReadLength(&ip);
    ml += kMinMatch;
    const unsigned char* src = op - off;
    for (size_t k = 0; k < ml; k++) op[k] = src[k];  // may overlap
    op += ml;
  }
  return (size_t)(op - out);
}

int main(int argc, char** argv) {
  size_t n = (size_t)BenchSize(argc, argv, 16 << 20, 64 << 10);
  BenchRng rng = {17};
  unsigned char* text = BenchAlloc(n);
  unsigned char* packed = BenchAlloc(n + n / 8 + 64);
  unsigned char* unpacked = BenchAlloc(n + 64);
  int32_t* head = BenchAlloc(sizeof(int32_t) << kHashBits);
  int32_t* prev = BenchAlloc(sizeof(int32_t) * kWindow);
  GenerateText(text, n, &rng);
  size_t packed_size = Compress(text, n, packed, head, prev);
  size_t unpacked_size = Decompress(packed, packed_size, unpacked);
  int ok = unpacked_size == n && memcmp(text, unpacked, n) == 0;
  printf("input: %zu\ncompressed: %zu\nroundtrip: %s\nchecksum: %016" PRIx64 "\n",
         n, packed_size, ok ? "ok" : "MISMATCH",
         BenchFnv(BENCH_FNV_INIT, packed, packed_size));
  return ok ? 0 : 1;
}
