// A parser: generates a JSON document (objects, arrays, strings with
// escapes, numbers), parses it into a tree with a recursive-descent parser,
// and walks the tree. Repeated over several documents.
#include "bench_common.h"

typedef struct {
  char* data;
  size_t len, cap;
} Buf;

static void Put(Buf* b, const char* s, size_t n) {
  if (b->len + n > b->cap) {
    while (b->len + n > b->cap) b->cap = b->cap ? b->cap * 2 : 4096;
    b->data = realloc(b->data, b->cap);
    if (!b->data) exit(1);
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}
static void PutS(Buf* b, const char* s) { Put(b, s, strlen(s)); }

static const char* const kKeys[] = {"id", "name", "tags", "value", "children", "active", "ratio", "label"};

static void GenValue(Buf* b, BenchRng* rng, int depth) {
  char tmp[64];
  uint32_t kind = depth > 5 ? BenchBelow(rng, 4) : BenchBelow(rng, 7);
  switch (kind) {
    case 0: {
      int n = snprintf(tmp, sizeof tmp, "%d", (int)BenchBelow(rng, 2000000) - 1000000);
      Put(b, tmp, (size_t)n);
      break;
    }
    case 1: {
      int n = snprintf(tmp, sizeof tmp, "%u.%03ue%d", BenchBelow(rng, 1000), BenchBelow(rng, 1000),
                       (int)BenchBelow(rng, 10) - 5);
      Put(b, tmp, (size_t)n);
      break;
    }
    case 2: {
      PutS(b, "\"");
      uint32_t len = BenchBelow(rng, 24);
      for (uint32_t i = 0; i < len; i++) {
        uint32_t c = BenchBelow(rng, 64);
        if (c == 0) PutS(b, "\\n");
        else if (c == 1) PutS(b, "\\\"");
        else if (c == 2) PutS(b, "\\u00e9");
        else { tmp[0] = (char)('a' + c % 26); Put(b, tmp, 1); }
      }
      PutS(b, "\"");
      break;
    }
    case 3:
      PutS(b, BenchBelow(rng, 3) == 0 ? "null" : BenchBelow(rng, 2) ? "true" : "false");
      break;
    case 4:
    case 5: {
      PutS(b, "{");
      uint32_t n = 1 + BenchBelow(rng, 6);
      for (uint32_t i = 0; i < n; i++) {
        if (i) PutS(b, ", ");
        PutS(b, "\"");
        PutS(b, kKeys[BenchBelow(rng, 8)]);
        PutS(b, "\": ");
        GenValue(b, rng, depth + 1);
      }
      PutS(b, "}");
      break;
    }
    default: {
      PutS(b, "[");
      uint32_t n = BenchBelow(rng, 8);
      for (uint32_t i = 0; i < n; i++) {
        if (i) PutS(b, ",");
        GenValue(b, rng, depth + 1);
      }
      PutS(b, "]");
    }
  }
}

enum Kind { kNull, kBool, kNumber, kString, kArray, kObject };
typedef struct Node {
  enum Kind kind;
  double number;
  uint32_t str_hash, str_len;  // strings and object keys (hash of the key)
  int32_t first_child, next_sibling;
} Node;

typedef struct {
  const char* p;
  const char* end;
  Node* nodes;
  int32_t count, cap;
  int error;
} Parser;

static int32_t NewNode(Parser* ps, enum Kind kind) {
  if (ps->count == ps->cap) {
    ps->cap = ps->cap ? ps->cap * 2 : 1024;
    ps->nodes = realloc(ps->nodes, sizeof(Node) * (size_t)ps->cap);
    if (!ps->nodes) exit(1);
  }
  Node* n = &ps->nodes[ps->count];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->first_child = n->next_sibling = -1;
  return ps->count++;
}

static void SkipWs(Parser* ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\t' || *ps->p == '\r')) ps->p++;
}

static uint32_t ParseString(Parser* ps, uint32_t* len_out) {
  uint32_t h = 2166136261u, len = 0;
  ps->p++;  // opening quote
  while (ps->p < ps->end && *ps->p != '"') {
    uint32_t c = (unsigned char)*ps->p++;
    if (c == '\\') {
      char e = *ps->p++;
      switch (e) {
        case 'n': c = '\n'; break;
        case 't': c = '\t'; break;
        case 'u': {
          c = 0;
          for (int i = 0; i < 4; i++) {
            char d = *ps->p++;
            c = c * 16 + (uint32_t)(d <= '9' ? d - '0' : (d | 32) - 'a' + 10);
          }
          break;
        }
        default: c = (unsigned char)e;
      }
    }
    h = (h ^ c) * 16777619u;
    len++;
  }
  if (ps->p >= ps->end) ps->error = 1;
  ps->p++;
  *len_out = len;
  return h;
}

static double ParseNumber(Parser* ps) {
  // A hand-written conversion (not strtod), exact for these inputs'
  // magnitudes only up to rounding, and identical on every platform.
  int neg = 0;
  if (*ps->p == '-') { neg = 1; ps->p++; }
  double v = 0;
  while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') v = v * 10 + (*ps->p++ - '0');
  if (ps->p < ps->end && *ps->p == '.') {
    ps->p++;
    double scale = 0.1;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') { v += (*ps->p++ - '0') * scale; scale *= 0.1; }
  }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
    ps->p++;
    int eneg = 0, e = 0;
    if (*ps->p == '-') { eneg = 1; ps->p++; } else if (*ps->p == '+') ps->p++;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') e = e * 10 + (*ps->p++ - '0');
    for (int i = 0; i < e; i++) v = eneg ? v / 10 : v * 10;
  }
  return neg ? -v : v;
}

static int32_t ParseValue(Parser* ps, int depth) {
  SkipWs(ps);
  if (ps->p >= ps->end || depth > 200) { ps->error = 1; return -1; }
  char c = *ps->p;
  if (c == '{' || c == '[') {
    int is_obj = c == '{';
    int32_t self = NewNode(ps, is_obj ? kObject : kArray);
    int32_t last = -1;
    ps->p++;
    SkipWs(ps);
    if (*ps->p == (is_obj ? '}' : ']')) { ps->p++; return self; }
    for (;;) {
      uint32_t key_hash = 0, key_len = 0;
      if (is_obj) {
        SkipWs(ps);
        if (*ps->p != '"') { ps->error = 1; return self; }
        key_hash = ParseString(ps, &key_len);
        SkipWs(ps);
        if (*ps->p++ != ':') { ps->error = 1; return self; }
      }
      int32_t child = ParseValue(ps, depth + 1);
      if (ps->error) return self;
      if (is_obj) ps->nodes[child].str_hash ^= key_hash * 31;
      if (last < 0) ps->nodes[self].first_child = child;
      else ps->nodes[last].next_sibling = child;
      last = child;
      SkipWs(ps);
      if (*ps->p == ',') { ps->p++; continue; }
      if (*ps->p == (is_obj ? '}' : ']')) { ps->p++; return self; }
      ps->error = 1;
      return self;
    }
  }
  if (c == '"') {
    int32_t self = NewNode(ps, kString);
    uint32_t len;
    uint32_t h = ParseString(ps, &len);
    ps->nodes[self].str_hash = h;
    ps->nodes[self].str_len = len;
    return self;
  }
  if (c == 't' || c == 'f' || c == 'n') {
    int32_t self = NewNode(ps, c == 'n' ? kNull : kBool);
    ps->nodes[self].number = c == 't';
    ps->p += c == 'f' ? 5 : 4;
    return self;
  }
  int32_t self = NewNode(ps, kNumber);
  ps->nodes[self].number = ParseNumber(ps);
  return self;
}

typedef struct {
  uint64_t counts[6];
  double sum;
  uint64_t hash;
  uint32_t max_depth;
} Stats;

static void Walk(const Node* nodes, int32_t i, uint32_t depth, Stats* st) {
  for (; i >= 0; i = nodes[i].next_sibling) {
    const Node* n = &nodes[i];
    st->counts[n->kind]++;
    if (depth > st->max_depth) st->max_depth = depth;
    if (n->kind == kNumber) st->sum += n->number;
    st->hash = (st->hash ^ (n->str_hash + n->str_len + (uint32_t)n->kind)) * 0x100000001B3ull;
    if (n->first_child >= 0) Walk(nodes, n->first_child, depth + 1, st);
  }
}

int main(int argc, char** argv) {
  long docs = BenchSize(argc, argv, 10, 1);
  long items = BenchSize(argc, argv, 4000, 300);
  long passes = BenchSize(argc, argv, 6, 1);
  BenchRng rng = {4242};
  Stats st;
  memset(&st, 0, sizeof st);
  st.hash = BENCH_FNV_INIT;
  size_t total_bytes = 0;
  Parser ps;
  memset(&ps, 0, sizeof ps);
  for (long d = 0; d < docs; d++) {
    Buf b = {0};
    PutS(&b, "[");
    for (long i = 0; i < items; i++) {
      if (i) PutS(&b, ",\n");
      GenValue(&b, &rng, 0);
    }
    PutS(&b, "]");
    total_bytes += b.len;
    for (long pass = 0; pass < passes; pass++) {
      ps.p = b.data;
      ps.end = b.data + b.len;
      ps.count = 0;
      ps.error = 0;
      int32_t root = ParseValue(&ps, 0);
      if (ps.error) { printf("parse error in document %ld\n", d); return 1; }
      Walk(ps.nodes, root, 0, &st);
    }
    free(b.data);
  }
  printf("bytes: %zu\nnodes: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
         total_bytes, st.counts[0], st.counts[1], st.counts[2], st.counts[3], st.counts[4], st.counts[5]);
  printf("max_depth: %u\nsum: %.6e\nhash: %016" PRIx64 "\n", st.max_depth, st.sum, st.hash);
  return 0;
}
