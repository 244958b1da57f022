#include "codegen/disasm/disasm_aarch64.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::disasm {
namespace {

TEST(DisasmAarch64Test, DecodesKnownWords) {
  // add x0, x1, x2; ret; udf #0
  const std::vector<uint8_t> code = {0x20, 0x00, 0x02, 0x8b, 0xc0, 0x03, 0x5f,
                                     0xd6, 0x00, 0x00, 0x00, 0x00};
  std::vector<DisasmLine> lines = DisassembleAarch64(code);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "add x0, x1, x2");
  EXPECT_EQ(lines[1].text, "ret");
  EXPECT_EQ(lines[1].offset, 4u);
  EXPECT_EQ(lines[2].length, 4u);
}

TEST(DisasmAarch64Test, BranchTargetsAreAbsolute) {
  const std::vector<uint8_t> code = {0x02, 0x00, 0x00, 0x14};  // b +8
  std::vector<DisasmLine> lines = DisassembleAarch64(code, 0x100);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "b #0x108");
  EXPECT_EQ(FormatAarch64(code), "  0000: b #8\n");
}

TEST(DisasmAarch64Test, TrailingBytes) {
  const std::vector<uint8_t> code = {0xc0, 0x03, 0x5f, 0xd6, 0x01};
  std::vector<DisasmLine> lines = DisassembleAarch64(code);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].text, "(bad)");
}

}  // namespace
}  // namespace kiln::disasm
