// String search: a backtracking regular-expression matcher (Kernighan and
// Pike's, extended with character classes and +, ?) counting matching
// lines, and Boyer-Moore-Horspool substring search, over generated
// log-like text.
#include "bench_common.h"

// Pattern syntax: c . [abc] [a-z] ^ $ and postfix * + ? on one atom.
static int MatchHere(const char* re, const char* text);

// Length of the atom at re (a char, '.', or a class [...]).
static int AtomLen(const char* re) {
  if (*re != '[') return 1;
  const char* p = re + 1;
  while (*p && *p != ']') p++;
  return (int)(p - re) + 1;
}

static int AtomMatches(const char* re, char c) {
  if (c == '\0' || c == '\n') return 0;
  if (*re == '.') return 1;
  if (*re != '[') return *re == c;
  const char* p = re + 1;
  int neg = *p == '^';
  if (neg) p++;
  int hit = 0;
  for (; *p != ']'; p++) {
    if (p[1] == '-' && p[2] != ']') {
      if (c >= p[0] && c <= p[2]) hit = 1;
      p += 2;
    } else if (*p == c) {
      hit = 1;
    }
  }
  return hit != neg;
}

static int MatchStar(const char* atom, const char* rest, const char* text, int min) {
  // Greedy: count how many the atom takes, then back off.
  const char* t = text;
  while (AtomMatches(atom, *t)) t++;
  for (; t >= text + min; t--) {
    if (MatchHere(rest, t)) return 1;
  }
  return 0;
}

static int MatchHere(const char* re, const char* text) {
  for (;;) {
    if (re[0] == '\0') return 1;
    if (re[0] == '$' && re[1] == '\0') return *text == '\0' || *text == '\n';
    int n = AtomLen(re);
    char op = re[n];
    if (op == '*') return MatchStar(re, re + n + 1, text, 0);
    if (op == '+') return MatchStar(re, re + n + 1, text, 1);
    if (op == '?') {
      if (AtomMatches(re, *text) && MatchHere(re + n + 1, text + 1)) return 1;
      re += n + 1;
      continue;
    }
    if (!AtomMatches(re, *text)) return 0;
    re += n;
    text++;
  }
}

static int Match(const char* re, const char* line) {
  if (re[0] == '^') return MatchHere(re + 1, line);
  do {
    if (MatchHere(re, line)) return 1;
  } while (*line != '\0' && *line++ != '\n');
  return 0;
}

static long Horspool(const unsigned char* text, long n, const unsigned char* pat, long m) {
  long skip[256];
  for (int i = 0; i < 256; i++) skip[i] = m;
  for (long i = 0; i < m - 1; i++) skip[pat[i]] = m - 1 - i;
  long count = 0;
  for (long i = 0; i + m <= n;) {
    long j = m - 1;
    while (j >= 0 && text[i + j] == pat[j]) j--;
    if (j < 0) count++;
    i += skip[text[i + m - 1]];
  }
  return count;
}

static const char* const kLevels[] = {"INFO", "WARN", "ERROR", "DEBUG"};
static const char* const kWords[] = {"request", "compiled", "module", "timeout", "user", "cache",
                                     "miss", "hit", "memory", "grow", "trap", "unreachable"};

int main(int argc, char** argv) {
  long lines = BenchSize(argc, argv, 160000, 3000);
  BenchRng rng = {7};
  size_t cap = (size_t)lines * 96 + 1;
  char* text = BenchAlloc(cap);
  size_t len = 0;
  for (long l = 0; l < lines; l++) {
    len += (size_t)snprintf(text + len, cap - len, "2026-12-%02u %02u:%02u:%02u %s ",
                            1 + BenchBelow(&rng, 28), BenchBelow(&rng, 24), BenchBelow(&rng, 60),
                            BenchBelow(&rng, 60), kLevels[BenchBelow(&rng, 4)]);
    int words = 3 + (int)BenchBelow(&rng, 6);
    for (int w = 0; w < words; w++)
      len += (size_t)snprintf(text + len, cap - len, "%s%s", kWords[BenchBelow(&rng, 12)],
                              BenchBelow(&rng, 5) == 0 ? "=42 " : " ");
    len += (size_t)snprintf(text + len, cap - len, "id=%u\n", BenchBelow(&rng, 100000));
  }
  static const char* const kPatterns[] = {
      "ERROR.*timeout", "^2026-12-1[0-9] ", "id=[0-9]+7$", "[A-Z][A-Z]+ user.*cache [hm]i[st]s?",
      "grow=42 .*trap", "m[aeiou]+dule", "^[^ ]+ 0[0-5]:.*unreachable", "x?y?z?request hit"};
  uint64_t total = 0;
  for (int p = 0; p < 8; p++) {
    long count = 0;
    for (const char* line = text; *line; ) {
      if (Match(kPatterns[p], line)) count++;
      while (*line && *line != '\n') line++;
      if (*line) line++;
    }
    printf("regex %d: %ld\n", p, count);
    total = total * 31 + (uint64_t)count;
  }
  static const char* const kNeedles[] = {"timeout user", "cache=42 miss", "ERROR request", "id=9999"};
  for (int k = 0; k < 4; k++) {
    long c = Horspool((const unsigned char*)text, (long)len, (const unsigned char*)kNeedles[k],
                      (long)strlen(kNeedles[k]));
    printf("substring %d: %ld\n", k, c);
    total = total * 31 + (uint64_t)c;
  }
  printf("bytes: %zu\ntotal: %" PRIu64 "\n", len, total);
  return 0;
}
