#include "runtime/code/code_memory.h"

#include <asmjit/x86.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "runtime/code/asmjit_code.h"

namespace kiln::runtime {
namespace {

// The permission string ("r-xp") of the /proc/self/maps line containing
// `addr`, or "" if none.
std::string PermissionsOf(uintptr_t addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo, hi;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
        addr >= lo && addr < hi) {
      return perms;
    }
  }
  return "";
}

TEST(CodeMemoryTest, WriteThenPublishRunsAndIsNeverRwx) {
  auto memory = CodeMemory::Allocate(10);
  ASSERT_TRUE(memory.ok()) << memory.status();
  CodeMemory& m = **memory;
  EXPECT_GE(m.size(), 4096u);
  EXPECT_EQ(PermissionsOf(m.start()), "rw-p");
  // mov eax, 42; ret
  const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3};
  std::memcpy(m.writable().data(), code, sizeof(code));
  ASSERT_TRUE(m.Publish().ok());
  EXPECT_TRUE(m.published());
  EXPECT_TRUE(m.writable().empty());
  EXPECT_EQ(PermissionsOf(m.start()), "r-xp");
  auto fn = reinterpret_cast<int (*)()>(const_cast<uint8_t*>(m.base()));
  EXPECT_EQ(fn(), 42);
  EXPECT_TRUE(m.Contains(m.start()));
  EXPECT_FALSE(m.Contains(m.start() + m.size()));
  EXPECT_FALSE(m.Contains(m.start() - 1));
  EXPECT_TRUE(m.Publish().ok());  // idempotent
}

TEST(CodeMemoryTest, CreateFromAndZeroSize) {
  const uint8_t code[] = {0x31, 0xc0, 0xc3};  // xor eax, eax; ret
  auto memory = CodeMemory::CreateFrom(code);
  ASSERT_TRUE(memory.ok());
  auto fn = reinterpret_cast<int (*)()>(const_cast<uint8_t*>((*memory)->base()));
  EXPECT_EQ(fn(), 0);
  EXPECT_FALSE(CodeMemory::Allocate(0).ok());
}

TEST(AsmjitCodeTest, PublishesRelocatedCode) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  asmjit::x86::Assembler a(&code);
  asmjit::Label target = a.newLabel();
  a.lea(asmjit::x86::rax, asmjit::x86::ptr(target));  // rip-relative
  a.ret();
  a.bind(target);
  a.int3();
  auto memory = PublishAsmjitCode(code);
  ASSERT_TRUE(memory.ok()) << memory.status();
  auto fn =
      reinterpret_cast<uintptr_t (*)()>(const_cast<uint8_t*>((*memory)->base()));
  EXPECT_EQ(fn(), (*memory)->start() + code.labelOffsetFromBase(target));
  EXPECT_EQ(PermissionsOf((*memory)->start()), "r-xp");
}

}  // namespace
}  // namespace kiln::runtime
