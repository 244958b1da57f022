// Typed vector instructions: text round trip, parser and verifier rules.
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
    v6 = vconst.v128 v4, v5
    v7 = iadd.i32x4 v2, v6
    v8 = insertlane.i32x4 v7, v3, 3
    v9 = shuffle.i8x16 v8, v2, v4, v5
    v10 = heap_load.v128 v0, v3+16
    heap_store v10, v0, v3
    v11 = select v3, v9, v10
    v12 = icmp.i16x8 slt v11, v2
    v13 = fcmp.f64x2 ge v12, v11
    v14 = bitselect.v128 v13, v11, v2
    v15 = ishl.i64x2 v14, v3
    v16 = splat.i8x16 v3
    v17 = swiden_low.i8x16 v16
    v18 = band.v128 v15, v17
    v19 = extractlane.i32x4 v18, 2
    v20 = vall_true.i16x8 v18
    v21 = iadd v19, v20
    return v21
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
    v4 = iadd.i32x4 v2, v3
    return v4
})");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "expected v128")) << s;
  s = VerifyText(R"(function %f(i64, i64, v128) -> i32 {
block0(v0: i64, v1: i64, v2: v128):
    v3 = extractlane.i32x4 v2, 4
    return v3
})");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "lane index")) << s;
  // The lane scalar type follows the shape: i64x2 splats an i64.
  s = VerifyText(R"(function %f(i64, i64, i32) -> v128 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = splat.i64x2 v2
    return v3
})");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "expected i64")) << s;
  s = VerifyText(R"(function %f(i64, i64, v128) -> v128 {
block0(v0: i64, v1: i64, v2: v128):
    v3 = iadd v2, v2
    return v3
})");
  EXPECT_FALSE(s.ok()) << "scalar integer ops do not take v128";
  // Shapes are not value types.
  s = VerifyText(R"(function %f(i64, i64, i32x4) -> i32 {
block0(v0: i64, v1: i64, v2: i32x4):
    v3 = iconst.i32 0
    return v3
})");
  EXPECT_FALSE(s.ok());
}

TEST(SimdIrTest, ParserChecksShapes) {
  auto parse = [](const char* inst) {
    return ParseFunction(absl::StrCat(
        "function %f(i64, i64, v128) -> v128 {\n"
        "block0(v0: i64, v1: i64, v2: v128):\n    v3 = ",
        inst, "\n    return v3\n}\n"));
  };
  EXPECT_TRUE(parse("imul.i16x8 v2, v2").ok());
  absl::StatusOr<Function> f = parse("imul.i8x16 v2, v2");  // no pmullb
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(absl::StrContains(f.status().message(), "shape i8x16"))
      << f.status();
  EXPECT_FALSE(parse("iadd v2, v2.i32x4").ok());
  EXPECT_FALSE(parse("nope.i32x4 v2, v2").ok());
  EXPECT_FALSE(parse("iadd.v128 v2, v2").ok()) << "lanes are needed";
  EXPECT_FALSE(parse("splat v2").ok()) << "needs a shape suffix";
  EXPECT_FALSE(parse("heap_load.i32x4 v0, v0").ok());
}

TEST(SimdIrTest, Signatures) {
  EXPECT_EQ(VectorNumArgs(Opcode::kShuffle), 4);
  EXPECT_EQ(VectorArgType(Opcode::kShuffle, Type::kI8X16, 2), Type::kI64);
  EXPECT_EQ(VectorResultType(Opcode::kExtractlane, Type::kI16X8), Type::kI32);
  EXPECT_EQ(VectorResultType(Opcode::kExtractlane, Type::kF64X2), Type::kF64);
  EXPECT_EQ(VectorArgType(Opcode::kInsertlane, Type::kF32X4, 1), Type::kF32);
  EXPECT_EQ(VectorResultType(Opcode::kVallTrue, Type::kI64X2), Type::kI32);
  EXPECT_TRUE(VectorHasLane(Opcode::kInsertlane));
  EXPECT_TRUE(VectorHasIntCC(Opcode::kVicmp));
  EXPECT_FALSE(IsVectorOp(Opcode::kIadd));
  EXPECT_EQ(ParseVectorOpcode("iadd"), Opcode::kViadd);
  EXPECT_EQ(ParseOpcode("iadd"), Opcode::kIadd);
}

}  // namespace
}  // namespace kiln::ir
