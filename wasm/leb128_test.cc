#include "wasm/leb128.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kiln::wasm {
namespace {

using ::testing::HasSubstr;

Reader R(const std::vector<uint8_t>& b) { return Reader(absl::MakeConstSpan(b)); }

TEST(Leb128Test, U32Basic) {
  std::vector<uint8_t> b = {0x00, 0x7f, 0x80, 0x01, 0xe5, 0x8e, 0x26};
  Reader r = R(b);
  EXPECT_EQ(*r.U32(), 0u);
  EXPECT_EQ(*r.U32(), 127u);
  EXPECT_EQ(*r.U32(), 128u);
  EXPECT_EQ(*r.U32(), 624485u);
  EXPECT_TRUE(r.at_end());
}

TEST(Leb128Test, U32Max) {
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0x0f};
  Reader r = R(b);
  EXPECT_EQ(*r.U32(), 0xffffffffu);
}

TEST(Leb128Test, U32NonMinimalAllowed) {
  std::vector<uint8_t> b = {0x80, 0x80, 0x80, 0x80, 0x00};
  Reader r = R(b);
  EXPECT_EQ(*r.U32(), 0u);
}

TEST(Leb128Test, U32TooLong) {
  std::vector<uint8_t> b = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  Reader r = R(b);
  auto v = r.U32();
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("integer representation too long"));
  EXPECT_THAT(v.status().message(), HasSubstr("at byte 0x0"));
}

TEST(Leb128Test, U32TooLarge) {
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0x1f};
  Reader r = R(b);
  auto v = r.U32();
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("integer too large"));
}

TEST(Leb128Test, UnexpectedEnd) {
  std::vector<uint8_t> b = {0x80, 0x80};
  Reader r = R(b);
  auto v = r.U32();
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("unexpected end"));
  Reader e(absl::Span<const uint8_t>(), 0x10,
           "unexpected end of section or function");
  auto u = e.U8();
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().message(),
            "at byte 0x10: unexpected end of section or function");
}

TEST(Leb128Test, S32) {
  std::vector<uint8_t> b = {0x7f, 0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0x07,
                            0x80, 0x80, 0x80, 0x80, 0x78};
  Reader r = R(b);
  EXPECT_EQ(*r.S32(), -1);
  EXPECT_EQ(*r.S32(), -128);
  EXPECT_EQ(*r.S32(), 0x7fffffff);
  EXPECT_EQ(*r.S32(), INT32_MIN);
}

TEST(Leb128Test, S32TooLarge) {
  // Unused bits of the last byte must be sign extension.
  for (std::vector<uint8_t> b :
       {std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff, 0x4f},
        std::vector<uint8_t>{0x80, 0x80, 0x80, 0x80, 0x70},
        std::vector<uint8_t>{0x80, 0x80, 0x80, 0x80, 0x1f}}) {
    Reader r = R(b);
    auto v = r.S32();
    ASSERT_FALSE(v.ok());
    EXPECT_THAT(v.status().message(), HasSubstr("integer too large"));
  }
}

TEST(Leb128Test, S33AndS64) {
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0x0f};
  Reader r = R(b);
  EXPECT_EQ(*r.S33(), 0xffffffffLL);
  std::vector<uint8_t> c = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                            0x80, 0x7f};
  Reader r2 = R(c);
  EXPECT_EQ(*r2.S64(), INT64_MIN);
  std::vector<uint8_t> d = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                            0x80, 0x01};
  Reader r3 = R(d);
  EXPECT_THAT(r3.S64().status().message(), HasSubstr("integer too large"));
}

TEST(Leb128Test, U64) {
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0x01};
  Reader r = R(b);
  EXPECT_EQ(*r.U64(), ~uint64_t{0});
  std::vector<uint8_t> c = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0x02};
  Reader r2 = R(c);
  EXPECT_THAT(r2.U64().status().message(), HasSubstr("integer too large"));
}

TEST(Leb128Test, FloatsAndBytes) {
  std::vector<uint8_t> b = {0x00, 0x00, 0x80, 0x3f, 1, 2, 3};
  Reader r = R(b);
  EXPECT_EQ(*r.F32Bits(), 0x3f800000u);
  EXPECT_FALSE(r.F64Bits().ok());
}

TEST(Leb128Test, Names) {
  std::vector<uint8_t> ok = {0x03, 'a', 0xc3, 0xa9};
  Reader r = R(ok);
  EXPECT_EQ(*r.Name(), "a\xc3\xa9");
  for (std::vector<uint8_t> bad : {
           std::vector<uint8_t>{0x01, 0x80},              // continuation
           std::vector<uint8_t>{0x02, 0xc0, 0x80},        // overlong
           std::vector<uint8_t>{0x03, 0xed, 0xa0, 0x80},  // surrogate
           std::vector<uint8_t>{0x04, 0xf4, 0x90, 0x80, 0x80},  // > 10FFFF
           std::vector<uint8_t>{0x01, 0xff},
       }) {
    Reader rb = R(bad);
    auto n = rb.Name();
    ASSERT_FALSE(n.ok());
    EXPECT_THAT(n.status().message(), HasSubstr("malformed UTF-8 encoding"));
  }
  std::vector<uint8_t> long_len = {0x05, 'a'};
  Reader rl = R(long_len);
  EXPECT_THAT(rl.Name().status().message(), HasSubstr("length out of bounds"));
}

TEST(Leb128Test, OffsetsIncludeBase) {
  std::vector<uint8_t> b = {0x80};
  Reader r(absl::MakeConstSpan(b), 0x20);
  EXPECT_EQ(r.offset(), 0x20u);
  auto v = r.U32();
  EXPECT_EQ(v.status().message(), "at byte 0x21: unexpected end");
}

}  // namespace
}  // namespace kiln::wasm
