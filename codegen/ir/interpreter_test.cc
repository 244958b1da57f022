#include "codegen/ir/interpreter.h"

#include "codegen/ir/parser.h"
#include "gtest/gtest.h"

namespace kiln::ir {
namespace {

TEST(InterpreterTest, LoopAndArithmetic) {
  auto f = ParseFunction(R"(function %sum(i32) -> i32 {
block0(v0: i32):
    v1 = iconst.i32 0
    jump block1(v0, v1)
block1(v2: i32, v3: i32):
    brif v2, block2, block3
block2:
    v4 = iadd v3, v2
    v5 = iadd_imm v2, -1
    jump block1(v5, v4)
block3:
    return v3
})");
  ASSERT_TRUE(f.ok()) << f.status();
  uint64_t args[] = {10};
  auto out = Interpret(*f, args);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->trapped);
  ASSERT_EQ(out->results.size(), 1u);
  EXPECT_EQ(out->results[0], 55u);
}

TEST(InterpreterTest, TrapsAndHeap) {
  auto f = ParseFunction(R"(function %h(i64, i32, i32) -> i64 {
block0(v0: i64, v1: i32, v2: i32):
    heap_istore16 v2, v0, v1+2
    v3 = heap_sload16.i64 v0, v1+2
    v4 = heap_load.i32 v0, v1
    v5 = udiv v2, v4
    return v3
})");
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<uint8_t> heap(16, 0);
  InterpOptions opts;
  opts.heap = &heap;
  uint64_t args[] = {0, 4, 0xffff8001};
  auto out = Interpret(*f, args, opts);
  ASSERT_TRUE(out.ok()) << out.status();
  // The i32 load reads 0 and 0x8001 in its upper half: nonzero, no trap.
  ASSERT_FALSE(out->trapped);
  EXPECT_EQ(out->results[0], 0xffffffffffff8001u);
  uint64_t oob[] = {0, 14, 1};
  out = Interpret(*f, oob, opts);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->trapped);
  EXPECT_EQ(out->trap, TrapCode::kMemoryOutOfBounds);
  std::fill(heap.begin(), heap.end(), 0);
  uint64_t zero[] = {0, 8, 0};
  out = Interpret(*f, zero, opts);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->trapped);
  EXPECT_EQ(out->trap, TrapCode::kIntegerDivisionByZero);
}

// A memory64 heap index is i64 and used whole (no zero-extension from
// 32 bits): 2^32 + 4 is out of bounds, not 4.
TEST(InterpreterTest, HeapIndex64) {
  auto f = ParseFunction(R"(function %h(i64, i64) -> i32 {
block0(v0: i64, v1: i64):
    v2 = heap_load.i32 v0, v1+4
    return v2
})");
  ASSERT_TRUE(f.ok()) << f.status();
  std::vector<uint8_t> heap(16, 0);
  heap[8] = 7;
  InterpOptions opts;
  opts.heap = &heap;
  uint64_t in[] = {0, 4};
  auto out = Interpret(*f, in, opts);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_FALSE(out->trapped);
  EXPECT_EQ(out->results[0], 7u);
  uint64_t wide[] = {0, (uint64_t{1} << 32) + 4};
  out = Interpret(*f, wide, opts);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->trapped);
  EXPECT_EQ(out->trap, TrapCode::kMemoryOutOfBounds);
  uint64_t wraps[] = {0, ~uint64_t{0} - 3};  // index + 4 wraps to 0
  out = Interpret(*f, wraps, opts);
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->trapped);
  EXPECT_EQ(out->trap, TrapCode::kMemoryOutOfBounds);
}

TEST(InterpreterTest, OutOfFuel) {
  auto f = ParseFunction(R"(function %spin() {
block0:
    jump block1
block1:
    jump block1
})");
  ASSERT_TRUE(f.ok());
  InterpOptions opts;
  opts.fuel = 1000;
  EXPECT_EQ(Interpret(*f, {}, opts).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace kiln::ir
