// Test helpers: run emitted code for real.
#ifndef KILN_CODEGEN_ISA_X64_TEST_UTIL_H_
#define KILN_CODEGEN_ISA_X64_TEST_UTIL_H_

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace kiln::isa::x64::testing {

// Executable copy of `code` (mapped RW, then flipped to RX). Leaks on purpose.
inline void* MakeExecutable(const std::vector<uint8_t>& code) {
  size_t size = (code.size() + 4095) & ~size_t{4095};
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  std::memcpy(p, code.data(), code.size());
  mprotect(p, size, PROT_READ | PROT_EXEC);
  return p;
}

// A fake VMContext whose stack limit (at offset 0) never triggers.
struct FakeVmctx {
  uint64_t stack_limit = 0;
  uint64_t pad[15] = {};
};

}  // namespace kiln::isa::x64::testing

#endif  // KILN_CODEGEN_ISA_X64_TEST_UTIL_H_
