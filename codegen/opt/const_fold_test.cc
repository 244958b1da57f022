#include "codegen/opt/const_fold.h"

#include <cstring>
#include <limits>

#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

using ir::Opcode;
using ir::Type;

std::optional<uint64_t> Fold2(Opcode op, Type t, uint64_t a, uint64_t b) {
  uint64_t args[] = {a, b};
  return FoldOperation(op, t, t, 0, 0, args, 2);
}
std::optional<uint64_t> Fold1(Opcode op, Type ctrl, Type arg, uint64_t a) {
  uint64_t args[] = {a};
  return FoldOperation(op, ctrl, arg, 0, 0, args, 1);
}
uint64_t F32(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
uint64_t F64(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}

TEST(ConstFoldTest, IntegerWasmSemantics) {
  EXPECT_EQ(Fold2(Opcode::kIadd, Type::kI32, 0xffffffff, 1), 0u);
  EXPECT_EQ(Fold2(Opcode::kIshl, Type::kI32, 1, 33), 2u);  // Amount mod 32.
  EXPECT_EQ(Fold2(Opcode::kSshr, Type::kI32, 0x80000000, 31), 0xffffffffu);
  EXPECT_EQ(Fold2(Opcode::kRotl, Type::kI32, 0x80000001, 1), 3u);
  EXPECT_EQ(Fold2(Opcode::kRotr, Type::kI64, 1, 1), uint64_t{1} << 63);
  EXPECT_EQ(Fold2(Opcode::kSdiv, Type::kI32, 0xfffffff9, 2), 0xfffffffdu);  // -7/2=-3
  EXPECT_EQ(Fold2(Opcode::kSrem, Type::kI32, 0xfffffff9, 2), 0xffffffffu);  // -1
  // Trapping cases are not folded.
  EXPECT_EQ(Fold2(Opcode::kSdiv, Type::kI32, 1, 0), std::nullopt);
  EXPECT_EQ(Fold2(Opcode::kUdiv, Type::kI64, 1, 0), std::nullopt);
  EXPECT_EQ(Fold2(Opcode::kUrem, Type::kI32, 1, 0), std::nullopt);
  EXPECT_EQ(Fold2(Opcode::kSdiv, Type::kI32, 0x80000000, 0xffffffff),
            std::nullopt);
  // srem INT_MIN, -1 is 0 in wasm.
  EXPECT_EQ(Fold2(Opcode::kSrem, Type::kI64, uint64_t{1} << 63, ~uint64_t{0}),
            0u);
  EXPECT_EQ(Fold1(Opcode::kClz, Type::kInvalid, Type::kI32, 0), 32u);
  EXPECT_EQ(Fold1(Opcode::kCtz, Type::kInvalid, Type::kI64, 0), 64u);
  EXPECT_EQ(Fold1(Opcode::kPopcnt, Type::kInvalid, Type::kI32, 0xff00ff), 16u);
  EXPECT_EQ(Fold1(Opcode::kSextend8, Type::kInvalid, Type::kI32, 0x80),
            0xffffff80u);
  EXPECT_EQ(Fold1(Opcode::kSextend16, Type::kInvalid, Type::kI64, 0x8000),
            ~uint64_t{0} << 15);
}

TEST(ConstFoldTest, FloatWasmSemantics) {
  EXPECT_EQ(Fold2(Opcode::kFmin, Type::kF32, F32(0.0f), F32(-0.0f)),
            F32(-0.0f));
  EXPECT_EQ(Fold2(Opcode::kFmax, Type::kF64, F64(-0.0), F64(0.0)), F64(0.0));
  EXPECT_EQ(Fold2(Opcode::kFadd, Type::kF64, F64(1.5), F64(2.0)), F64(3.5));
  // NaN results are left to the hardware.
  EXPECT_EQ(Fold2(Opcode::kFdiv, Type::kF32, F32(0.0f), F32(0.0f)),
            std::nullopt);
  EXPECT_EQ(Fold2(Opcode::kFmin, Type::kF32, 0x7fc00000, F32(1.0f)),
            std::nullopt);
  // fneg/fabs/fcopysign are bit operations (but NaN results stay unfolded).
  EXPECT_EQ(Fold1(Opcode::kFneg, Type::kInvalid, Type::kF32, F32(1.0f)),
            F32(-1.0f));
  EXPECT_EQ(Fold1(Opcode::kFneg, Type::kInvalid, Type::kF32, 0x7fc00001),
            std::nullopt);
  EXPECT_EQ(Fold2(Opcode::kFcopysign, Type::kF32, F32(2.0f), F32(-1.0f)),
            F32(-2.0f));
  EXPECT_EQ(Fold1(Opcode::kNearest, Type::kInvalid, Type::kF64, F64(2.5)),
            F64(2.0));
  uint64_t args[] = {F32(1.0f), 0x7fc00000};
  EXPECT_EQ(FoldOperation(Opcode::kFcmp, Type::kInvalid, Type::kF32,
                          static_cast<uint8_t>(ir::FloatCC::kNe), 0, args, 2),
            1u);
  EXPECT_EQ(FoldOperation(Opcode::kFcmp, Type::kInvalid, Type::kF32,
                          static_cast<uint8_t>(ir::FloatCC::kEq), 0, args, 2),
            0u);
}

TEST(ConstFoldTest, Conversions) {
  EXPECT_EQ(Fold1(Opcode::kFcvtToSint, Type::kI32, Type::kF64, F64(-2147483648.9)),
            0x80000000u);
  EXPECT_EQ(Fold1(Opcode::kFcvtToSint, Type::kI32, Type::kF64, F64(2147483648.0)),
            std::nullopt);
  EXPECT_EQ(Fold1(Opcode::kFcvtToUint, Type::kI32, Type::kF32, F32(-0.9f)), 0u);
  EXPECT_EQ(Fold1(Opcode::kFcvtToUint, Type::kI32, Type::kF32, F32(-1.0f)),
            std::nullopt);
  EXPECT_EQ(Fold1(Opcode::kFcvtToSint, Type::kI64, Type::kF32, 0x7fc00000),
            std::nullopt);
  EXPECT_EQ(Fold1(Opcode::kFcvtToSintSat, Type::kI64, Type::kF32, 0x7fc00000),
            0u);
  EXPECT_EQ(Fold1(Opcode::kFcvtToUintSat, Type::kI32, Type::kF64, F64(1e20)),
            0xffffffffu);
  EXPECT_EQ(Fold1(Opcode::kFcvtToSintSat, Type::kI32, Type::kF64, F64(-1e20)),
            0x80000000u);
  EXPECT_EQ(Fold1(Opcode::kFcvtFromUint, Type::kF32, Type::kI64, ~uint64_t{0}),
            F32(18446744073709551616.0f));
  EXPECT_EQ(Fold1(Opcode::kFcvtFromSint, Type::kF64, Type::kI32, 0xffffffff),
            F64(-1.0));
  EXPECT_EQ(Fold1(Opcode::kUextend, Type::kI64, Type::kI32, 0xffffffffffffffff),
            0xffffffffu);
}

TEST(ConstFoldTest, PassFoldsChainsAndBranches) {
  EXPECT_EQ(RunPasses("const_fold", R"(function %f(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 6
    v2 = iconst.i32 7
    v3 = imul v1, v2
    v4 = icmp eq v3, v2
    v5 = iconst.i32 0
    v6 = sdiv v3, v5
    brif v4, block1, block2
block1:
    return v3
block2:
    v7 = iadd v3, v0
    return v7
})"),
            R"(function %f(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 6
    v2 = iconst.i32 7
    v3 = iconst.i32 42
    v4 = iconst.i32 0
    v5 = iconst.i32 0
    v6 = sdiv v3, v5
    jump block2
block2:
    v7 = iadd v3, v0
    return v7
}
)");
}

TEST(ConstFoldTest, CondTraps) {
  EXPECT_EQ(RunPasses("const_fold", R"(function %f() -> i32 {
block0:
    v0 = iconst.i32 1
    trapz v0, integer_division_by_zero
    trapnz v0, unreachable_code_reached
    v1 = iconst.i32 2
    jump block1
block1:
    return v1
})"),
            R"(function %f() -> i32 {
block0:
    v0 = iconst.i32 1
    trap unreachable_code_reached
}
)");
}

}  // namespace
}  // namespace kiln::opt
