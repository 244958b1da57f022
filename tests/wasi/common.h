// Helpers shared by the WASI test programs (built both for wasm32-wasi and
// natively; the outputs must match).
#ifndef KILN_TESTS_WASI_COMMON_H_
#define KILN_TESTS_WASI_COMMON_H_

#include <errno.h>
#include <stdio.h>

// errno by name: the message texts of wasi-libc and glibc differ.
static inline const char* ErrName(int e) {
  switch (e) {
    case 0: return "OK";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case ELOOP: return "ELOOP";
    case EXDEV: return "EXDEV";
    case ESPIPE: return "ESPIPE";
#ifdef ENOTCAPABLE
    case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
    default: return "E?";
  }
}

// Runs EXPR (an int-returning call), prints "ok" or the errno name.
#define CHECK(expr)                                                   \
  do {                                                                \
    errno = 0;                                                        \
    long r_ = (long)(expr);                                           \
    printf("%-52s %s\n", #expr, r_ < 0 ? ErrName(errno) : "ok");      \
  } while (0)

#endif  // KILN_TESTS_WASI_COMMON_H_
