#include "codegen/ir/verifier.h"

#include <string>

#include "codegen/ir/parser.h"
#include "gtest/gtest.h"

namespace kiln::ir {
namespace {

std::string VerifyText(const char* text) {
  auto f = ParseFunction(text);
  if (!f.ok()) return "parse error: " + std::string(f.status().message());
  absl::Status s = VerifyFunction(*f);
  return s.ok() ? "ok" : std::string(s.message());
}

TEST(VerifierTest, AcceptsValid) {
  EXPECT_EQ(VerifyText(R"(function %f(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = iconst.i32 1
    v4 = iadd v2, v3
    brif v4, block1(v4), block2
block1(v5: i32):
    return v5
block2:
    trap unreachable_code_reached
})"),
            "ok");
}

TEST(VerifierTest, OperandType) {
  EXPECT_EQ(VerifyText(R"(function %f(i32, i64) {
block0(v0: i32, v1: i64):
    v2 = iadd v0, v1
    return
})"),
            "block0: v2 = iadd v0, v1: operand v1 has type i64, expected i32");
}

TEST(VerifierTest, FloatOpOnInt) {
  EXPECT_EQ(VerifyText(R"(function %f(i32) {
block0(v0: i32):
    v1 = fadd v0, v0
    return
})"),
            "block0: v1 = fadd v0, v0: operand v0 has type i32, expected a "
            "float type");
}

TEST(VerifierTest, Conversion) {
  EXPECT_EQ(VerifyText(R"(function %f(i64) {
block0(v0: i64):
    v1 = uextend.i64 v0
    return
})"),
            "block0: v1 = uextend.i64 v0: cannot convert i64 to i64 (i32 -> "
            "i64)");
}

TEST(VerifierTest, MissingTerminator) {
  EXPECT_EQ(VerifyText(R"(function %f() {
block0:
    v0 = iconst.i32 0
})"),
            "block0: v0 = iconst.i32 0: block does not end in a terminator");
}

TEST(VerifierTest, TerminatorMidBlock) {
  EXPECT_EQ(VerifyText(R"(function %f() {
block0:
    jump block1
    v0 = iconst.i32 0
    return
block1:
    return
})"),
            "block0: jump block1: terminator in the middle of the block");
}

TEST(VerifierTest, BlockArgCount) {
  EXPECT_EQ(VerifyText(R"(function %f(i32) {
block0(v0: i32):
    jump block1
block1(v1: i32):
    return
})"),
            "block0: jump block1: passes 0 arguments to block1, which has 1 "
            "parameters");
}

TEST(VerifierTest, BlockArgType) {
  EXPECT_EQ(VerifyText(R"(function %f(i32) {
block0(v0: i32):
    jump block1(v0)
block1(v1: i64):
    return
})"),
            "block0: jump block1(v0): argument v0 has type i32 but block1 "
            "parameter v1 has type i64");
}

TEST(VerifierTest, EntryParams) {
  EXPECT_EQ(VerifyText(R"(function %f(i64, i32) {
block0(v0: i64):
    return
})"),
            "block0: entry block has 1 parameters, the signature has 2");
}

TEST(VerifierTest, ReturnTypes) {
  EXPECT_EQ(VerifyText(R"(function %f(i64) -> i32 {
block0(v0: i64):
    return v0
})"),
            "block0: return v0: operand v0 has type i64, expected i32");
}

TEST(VerifierTest, Dominance) {
  EXPECT_EQ(VerifyText(R"(function %f(i32) -> i32 {
block0(v0: i32):
    brif v0, block1, block2
block1:
    v1 = iconst.i32 1
    jump block2
block2:
    return v1
})"),
            "block2: return v1: use of v1 is not dominated by its definition "
            "in block1");
}

TEST(VerifierTest, UseBeforeDefInBlock) {
  EXPECT_EQ(VerifyText(R"(function %f() -> i32 {
block0:
    v1 = iadd v2, v2
    v2 = iconst.i32 1
    return v1
})"),
            "block0: v1 = iadd v2, v2: use of v2 before its definition");
}

TEST(VerifierTest, BrTableTargetParams) {
  EXPECT_EQ(VerifyText(R"(function %f(i32) {
block0(v0: i32):
    br_table v0, block1, [block2]
block1:
    return
block2(v1: i32):
    return
})"),
            "block0: br_table v0, block1, [block2]: br_table target block2 must "
            "not have parameters");
}

TEST(VerifierTest, CallArgs) {
  EXPECT_EQ(VerifyText(R"(function %f(i64) {
    sig0 = (i64, i64) -> i32
    fn0 = func 1 sig0

block0(v0: i64):
    v1 = call fn0(v0)
    return
})"),
            "block0: v1 = call fn0(v0): has 1 operands, expected 2");
}

TEST(VerifierTest, UnreachableBlocksAreNotDominanceChecked) {
  EXPECT_EQ(VerifyText(R"(function %f() {
block0:
    return
block1:
    v1 = iadd v2, v2
    jump block2
block2:
    v2 = iconst.i32 1
    jump block1
})"),
            "ok");
}

TEST(VerifierTest, HeapAccessTypes) {
  EXPECT_EQ(VerifyText(R"(function %f(i64, f64) {
block0(v0: i64, v1: f64):
    v2 = heap_load.i32 v0, v1
    return
})"),
            "block0: v2 = heap_load.i32 v0, v1: operand v1 has type f64, "
            "expected i32");
  // A memory64 index is i64.
  EXPECT_EQ(VerifyText(R"(function %f(i64, i64, i32) {
block0(v0: i64, v1: i64, v2: i32):
    v3 = heap_load.i32 v0, v1+8
    heap_store v2, v0, v1+4
    return
})"),
            "ok");
  EXPECT_EQ(VerifyText(R"(function %f(i64, i32) {
block0(v0: i64, v1: i32):
    v2 = heap_uload32.i32 v0, v1
    return
})"),
            "block0: v2 = heap_uload32.i32 v0, v1: controlling type i32 is "
            "invalid, expected i64");
}

TEST(VerifierTest, RawOffsetRange) {
  EXPECT_EQ(VerifyText(R"(function %f(i64) {
block0(v0: i64):
    v1 = load.i64 notrap v0+2147483648
    return
})"),
            "block0: v1 = load.i64 notrap v0+2147483648: offset does not fit "
            "in 32 bits (signed)");
}

}  // namespace
}  // namespace kiln::ir
