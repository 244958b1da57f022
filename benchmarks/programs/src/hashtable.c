// A hash-table workload: open addressing with linear probing and
// tombstones, string keys (word counting over generated tokens) and
// integer keys (insert, look up, delete, grow), like a symbol table or a
// cache in a server.
#include "bench_common.h"

typedef struct {
  uint64_t hash;  // 0 = empty, 1 = deleted
  uint32_t key_off, key_len;
  uint64_t value;
} Slot;

typedef struct {
  Slot* slots;
  size_t cap, used, live;
  const char* arena;
} Table;

static uint64_t HashBytes(const char* s, size_t n) {
  // xxhash-like: 8 bytes at a time, multiply and rotate, then a final mix.
  uint64_t h = 0x27D4EB2F165667C5ull ^ (n * 0x9E3779B185EBCA87ull);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v;
    memcpy(&v, s + i, 8);
    h ^= v * 0xC2B2AE3D27D4EB4Full;
    h = ((h << 31) | (h >> 33)) * 0x9E3779B185EBCA87ull;
  }
  for (; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
  h ^= h >> 29;
  h *= 0x165667B19E3779F9ull;
  h ^= h >> 32;
  return h < 2 ? h + 2 : h;
}

static void Grow(Table* t);

static Slot* FindOrInsert(Table* t, const char* key, uint32_t off, uint32_t len, int* inserted) {
  if ((t->used + 1) * 4 > t->cap * 3) Grow(t);
  uint64_t h = HashBytes(key, len);
  size_t mask = t->cap - 1, i = h & mask;
  Slot* tomb = NULL;
  for (;;) {
    Slot* s = &t->slots[i];
    if (s->hash == 0) {
      if (tomb) s = tomb; else t->used++;
      s->hash = h;
      s->key_off = off;
      s->key_len = len;
      s->value = 0;
      t->live++;
      *inserted = 1;
      return s;
    }
    if (s->hash == 1) {
      if (!tomb) tomb = s;
    } else if (s->hash == h && s->key_len == len && memcmp(t->arena + s->key_off, key, len) == 0) {
      *inserted = 0;
      return s;
    }
    i = (i + 1) & mask;
  }
}

static void Grow(Table* t) {
  Slot* old = t->slots;
  size_t old_cap = t->cap;
  t->cap = old_cap ? old_cap * 2 : 1024;
  t->slots = calloc(t->cap, sizeof(Slot));
  if (!t->slots) exit(1);
  t->used = t->live = 0;
  for (size_t i = 0; i < old_cap; i++) {
    if (old[i].hash < 2) continue;
    size_t j = old[i].hash & (t->cap - 1);
    while (t->slots[j].hash != 0) j = (j + 1) & (t->cap - 1);
    t->slots[j] = old[i];
    t->used++;
    t->live++;
  }
  free(old);
}

// Integer-keyed table: keys are nonzero uint64, value uint64.
typedef struct {
  uint64_t* keys;  // 0 = empty, ~0 = deleted
  uint64_t* values;
  size_t cap, filled;  // filled: live keys and tombstones
} IntTable;

static inline size_t IntSlot(const IntTable* t, uint64_t key) {
  return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (t->cap - 1);
}

static void IntPut(IntTable* t, uint64_t key, uint64_t value);

// Drops the tombstones once live keys and tombstones fill 3/4 of the table.
static void IntRehash(IntTable* t) {
  uint64_t* keys = t->keys;
  uint64_t* values = t->values;
  t->keys = calloc(t->cap, sizeof(uint64_t));
  t->values = calloc(t->cap, sizeof(uint64_t));
  if (!t->keys || !t->values) exit(1);
  t->filled = 0;
  for (size_t i = 0; i < t->cap; i++)
    if (keys[i] != 0 && keys[i] != ~0ull) IntPut(t, keys[i], values[i]);
  free(keys);
  free(values);
}

static void IntPut(IntTable* t, uint64_t key, uint64_t value) {
  if ((t->filled + 1) * 4 > t->cap * 3) IntRehash(t);
  size_t i = IntSlot(t, key), tomb = (size_t)-1;
  for (;;) {
    uint64_t k = t->keys[i];
    if (k == key) { t->values[i] = value; return; }
    if (k == ~0ull && tomb == (size_t)-1) tomb = i;
    if (k == 0) {
      if (tomb != (size_t)-1) i = tomb; else t->filled++;
      t->keys[i] = key;
      t->values[i] = value;
      return;
    }
    i = (i + 1) & (t->cap - 1);
  }
}

static int IntGet(const IntTable* t, uint64_t key, uint64_t* value) {
  for (size_t i = IntSlot(t, key);; i = (i + 1) & (t->cap - 1)) {
    uint64_t k = t->keys[i];
    if (k == key) { *value = t->values[i]; return 1; }
    if (k == 0) return 0;
  }
}

static void IntDelete(IntTable* t, uint64_t key) {
  for (size_t i = IntSlot(t, key);; i = (i + 1) & (t->cap - 1)) {
    uint64_t k = t->keys[i];
    if (k == key) { t->keys[i] = ~0ull; return; }
    if (k == 0) return;
  }
}

int main(int argc, char** argv) {
  long tokens = BenchSize(argc, argv, 1500000, 20000);
  long int_ops = BenchSize(argc, argv, 2500000, 40000);
  BenchRng rng = {1234};
  // Word counting: tokens drawn from a Zipf-like vocabulary of made-up words.
  size_t arena_cap = (size_t)tokens * 16;
  char* arena = BenchAlloc(arena_cap);
  size_t arena_len = 0;
  Table t = {0};
  t.arena = arena;
  char word[32];
  uint64_t max_count = 0;
  for (long k = 0; k < tokens; k++) {
    uint64_t r = BenchNext(&rng);
    uint32_t rank = (uint32_t)((r & 0xFFFF) * ((r >> 16) & 0xFFFF) >> 14);  // skewed to small
    int len = snprintf(word, sizeof word, "w%xq%u", rank * 2654435761u, rank % 97);
    memcpy(arena + arena_len, word, (size_t)len);
    int inserted;
    Slot* s = FindOrInsert(&t, word, (uint32_t)arena_len, (uint32_t)len, &inserted);
    if (inserted) arena_len += (size_t)len;
    if (++s->value > max_count) max_count = s->value;
  }
  uint64_t word_hash = 0;
  for (size_t i = 0; i < t.cap; i++)
    if (t.slots[i].hash >= 2) word_hash += t.slots[i].hash * t.slots[i].value;
  printf("distinct words: %zu\nmax count: %" PRIu64 "\nword hash: %016" PRIx64 "\n", t.live,
         max_count, word_hash);

  // Integer cache: a sliding window of live keys, lookups hit and miss.
  IntTable it;
  it.cap = 1 << 20;
  it.filled = 0;
  it.keys = calloc(it.cap, sizeof(uint64_t));
  it.values = calloc(it.cap, sizeof(uint64_t));
  if (!it.keys || !it.values) return 1;
  uint64_t hits = 0, sum = 0;
  const long window = 300000;
  for (long k = 0; k < int_ops; k++) {
    uint64_t key = (uint64_t)k * 7919 + 1;
    IntPut(&it, key, (uint64_t)k);
    if (k >= window) IntDelete(&it, (uint64_t)(k - window) * 7919 + 1);
    uint64_t probe = (uint64_t)BenchBelow(&rng, (uint32_t)(k + 1)) * 7919 + 1;
    uint64_t v;
    if (IntGet(&it, probe, &v)) { hits++; sum += v; }
  }
  printf("int hits: %" PRIu64 "\nint sum: %" PRIu64 "\n", hits, sum);
  return 0;
}
