// The server's guest (examples/server): an HTTP handler in C, built to
// wasm32 (wasi-libc, reactor: no _start, no WASI imports). The host writes
// the request path into `request`, calls handle(len) and sends the
// handle(len) bytes at `response` back as the body, with the HTTP status in
// `status`. The three are exported as globals holding their addresses
// (wasm-ld --export of a data symbol), so the host finds them without
// calling into the guest.
//
// Routes (the native handler in handler.cc answers the same bytes):
//   /heavy?n=N  counts a hash over N rounds (CPU-heavy; the host yields it
//               by epoch, so other requests on the thread go on)
//   anything else  asks the "backend" (the async host function
//               env.backend_get, which waits on the event loop) for the
//               value of the key derived from the path, then answers.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define IMPORT(name) \
  __attribute__((import_module("env"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

// Waits on the host's event loop (a timer standing for a backend call)
// and returns the backend's value for `key`.
IMPORT("backend_get") int32_t backend_get(int32_t key);

enum { kRequestMax = 4096, kResponseMax = 4096 };
char request[kRequestMax];
char response[kResponseMax];
int32_t status = 200;

// FNV-1a over the path: the key the backend is asked for.
static uint32_t Key(const char* s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h & 0xffff;
}

static size_t Append(size_t at, const char* s) {
  size_t n = strlen(s);
  if (at + n > kResponseMax) n = kResponseMax - at;
  memcpy(response + at, s, n);
  return at + n;
}

static size_t AppendU(size_t at, uint64_t v) {
  char digits[24];
  int k = 0;
  do {
    digits[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (k > 0 && at < kResponseMax) response[at++] = digits[--k];
  return at;
}

static size_t AppendN(size_t at, const char* s, size_t n) {
  if (at + n > kResponseMax) n = kResponseMax - at;
  memcpy(response + at, s, n);
  return at + n;
}

static uint64_t ParseU(const char* s, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; ++i) {
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  return v;
}

// xorshift rounds: the CPU-heavy route's work.
static uint64_t Spin(uint64_t n) {
  uint64_t x = 88172645463325252ull;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

EXPORT("handle") int32_t handle(int32_t len) {
  if (len < 0 || len > kRequestMax) len = 0;
  const char* path = request;
  const size_t n = (size_t)len;
  size_t at = 0;
  status = 200;
  if (n >= 9 && memcmp(path, "/heavy?n=", 9) == 0) {
    const uint64_t rounds = ParseU(path + 9, n - 9);
    at = Append(at, "heavy rounds=");
    at = AppendU(at, rounds);
    at = Append(at, " result=");
    at = AppendU(at, Spin(rounds));
    at = Append(at, "\n");
    return (int32_t)at;
  }
  const uint32_t key = Key(path, n);
  const int32_t value = backend_get((int32_t)key);
  at = Append(at, "hello from kiln: path=");
  at = AppendN(at, path, n);
  at = Append(at, " key=");
  at = AppendU(at, key);
  at = Append(at, " value=");
  at = AppendU(at, (uint32_t)value);
  at = Append(at, "\n");
  return (int32_t)at;
}
