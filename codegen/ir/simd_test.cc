// The generic `simd` instruction: text round trip and verifier rules.
#include "codegen/ir/simd.h"

#include "absl/strings/match.h"
#include "codegen/ir/parser.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "gtest/gtest.h"

namespace kiln::ir {
namespace {

constexpr char kText[] = R"(function %f(i64, i64, v128, i32) -> i32 {
block0(v0: i64, v1: i64, v2: v128, v3: i32):
    v4 = iconst.i64 1
    v5 = iconst.i64 -1
    v6 = simd.v128 v128.const v4, v5
    v7 = simd.v128 i32x4.add v2, v6
    v8 = simd.v128 i32x4.replace_lane 3, v7, v3
    v9 = simd.v128 i8x16.shuffle v8, v2, v4, v5
    v10 = heap_load.v128 v0, v3+16
    heap_store v10, v0, v3
    v11 = select v3, v9, v10
    v12 = simd.i32 i32x4.extract_lane 2, v11
    return v12
}
)";

TEST(SimdIrTest, RoundTripsAndVerifies) {
  absl::StatusOr<Function> f = ParseFunction(kText);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(VerifyFunction(*f).ok()) << VerifyFunction(*f);
  EXPECT_EQ(PrintFunction(*f), kText);
}

absl::Status VerifyText(const char* text) {
  absl::StatusOr<Function> f = ParseFunction(text);
  if (!f.ok()) return f.status();
  return VerifyFunction(*f);
}

TEST(SimdIrTest, VerifierChecksOperandsAndLanes) {
  absl::Status s = VerifyText(R"(function %f(i64, i64, v128, i32) -> v128 {
block0(v0: i64, v1: i64, v2: v128, v3: i32):
    v4 = simd.v128 i32x4.add v2, v3
    return v4
})");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "expected v128")) << s;
  s = VerifyText(R"(function %f(i64, i64, v128) -> i32 {
block0(v0: i64, v1: i64, v2: v128):
    v3 = simd.i32 i32x4.extract_lane 4, v2
    return v3
})");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "lane index")) << s;
  s = VerifyText(R"(function %f(i64, i64, v128) -> v128 {
block0(v0: i64, v1: i64, v2: v128):
    v3 = iadd v2, v2
    return v3
})");
  EXPECT_FALSE(s.ok()) << "integer ops do not take v128";
  EXPECT_FALSE(ParseFunction(R"(function %f(i64, i64, v128) -> v128 {
block0(v0: i64, v1: i64, v2: v128):
    v3 = simd.v128 i32x4.nope v2, v2
    return v3
})").ok());
}

TEST(SimdIrTest, Signatures) {
  auto s = GetSimdSig(wasm::Opcode::kI16X8ExtractLaneS);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->result, Type::kI32);
  EXPECT_EQ(s->lanes, 8);
  EXPECT_FALSE(GetSimdSig(wasm::Opcode::kI32Add));
  EXPECT_FALSE(GetSimdSig(wasm::Opcode::kV128Store));
  EXPECT_EQ(GetSimdSig(wasm::Opcode::kV128Load8Splat)->args[0], Type::kI32);
}

}  // namespace
}  // namespace kiln::ir
