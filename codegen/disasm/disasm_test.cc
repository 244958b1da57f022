#include "codegen/disasm/disasm.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::disasm {
namespace {

TEST(DisasmTest, DecodesSimpleSequence) {
  // push rbp; mov rbp, rsp; xor eax, eax; pop rbp; ret
  std::vector<uint8_t> code = {0x55, 0x48, 0x89, 0xE5, 0x31, 0xC0, 0x5D, 0xC3};
  EXPECT_EQ(FormatX64(code),
            "  0000: push rbp\n"
            "  0001: mov rbp, rsp\n"
            "  0004: xor eax, eax\n"
            "  0006: pop rbp\n"
            "  0007: ret\n");
}

TEST(DisasmTest, BadBytesDoNotStopDecoding) {
  std::vector<uint8_t> code = {0x0F, 0xFF, 0x90};  // 0f ff is invalid
  auto lines = DisassembleX64(code);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().text, "nop");
}

}  // namespace
}  // namespace kiln::disasm
