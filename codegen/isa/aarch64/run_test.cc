// Runs code from the aarch64 backend. Meaningful on an AArch64 host (the
// cross build runs it under qemu: `bazel test --config=aarch64
// //codegen/isa/aarch64:run_test`); skipped elsewhere.
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "gtest/gtest.h"

namespace kiln::isa::aarch64 {
namespace {

// Compiles function `index` of `ir` and maps it executable.
// Unused on other hosts, where every test skips.
[[maybe_unused]] void* CompileToMemory(const char* ir, size_t index = 0) {
  auto funcs = ir::ParseFunctions(ir);
  EXPECT_TRUE(funcs.ok()) << funcs.status();
  if (!funcs.ok() || index >= funcs->size()) return nullptr;
  CompileContext ctx;
  auto c = CreateAarch64Backend()->Compile((*funcs)[index], ctx);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return nullptr;
  void* mem = mmap(nullptr, c->code.size(), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  std::memcpy(mem, c->code.data(), c->code.size());
  mprotect(mem, c->code.size(), PROT_READ | PROT_EXEC);
  __builtin___clear_cache(static_cast<char*>(mem),
                          static_cast<char*>(mem) + c->code.size());
  return mem;
}

// A VMContext stand-in: [vmctx + 8] -> runtime limits whose stack limit is 0.
struct FakeVm {
  uint64_t limits[2] = {0, 0};
  uint64_t words[8] = {};
  FakeVm() { words[1] = reinterpret_cast<uint64_t>(limits); }
  void* ctx() { return words; }
};

TEST(Aarch64RunTest, SumLoop) {
#if !defined(__aarch64__)
  GTEST_SKIP() << "needs an AArch64 host (or qemu)";
#else
  void* code = CompileToMemory(R"(
function %sum(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    v3 = iconst.i32 0
    jump block1(v2, v3)
block1(v4: i32, v5: i32):
    v6 = iconst.i32 0
    v7 = icmp eq v4, v6
    brif v7, block3(v5), block2
block2:
    v8 = iadd v5, v4
    v9 = iadd_imm v4, -1
    jump block1(v9, v8)
block3(v10: i32):
    return v10
}
)");
  ASSERT_NE(code, nullptr);
  FakeVm vm;
  auto fn = reinterpret_cast<uint32_t (*)(void*, void*, uint32_t)>(code);
  EXPECT_EQ(fn(vm.ctx(), vm.ctx(), 10), 55u);
  EXPECT_EQ(fn(vm.ctx(), vm.ctx(), 100000), 5000050000u & 0xffffffffu);
#endif
}

TEST(Aarch64RunTest, ArithAndFloats) {
#if !defined(__aarch64__)
  GTEST_SKIP() << "needs an AArch64 host (or qemu)";
#else
  void* code = CompileToMemory(R"(
function %f(i64, i64, i64, i64, f64) -> i64 {
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: f64):
    v5 = srem v2, v3
    v6 = udiv v2, v3
    v7 = popcnt v2
    v8 = iconst.i64 3
    v9 = rotl v2, v8
    v10 = fcvt_to_sint.i64 v4
    v11 = iadd v5, v6
    v12 = iadd v11, v7
    v13 = bxor v12, v9
    v14 = iadd v13, v10
    return v14
}
)");
  ASSERT_NE(code, nullptr);
  FakeVm vm;
  auto fn = reinterpret_cast<int64_t (*)(void*, void*, int64_t, int64_t, double)>(code);
  auto expect = [](int64_t a, int64_t b, double f) {
    const int64_t rem = a % b;
    const uint64_t div = static_cast<uint64_t>(a) / static_cast<uint64_t>(b);
    const int64_t pop = __builtin_popcountll(static_cast<uint64_t>(a));
    const uint64_t rot = (static_cast<uint64_t>(a) << 3) | (static_cast<uint64_t>(a) >> 61);
    return static_cast<int64_t>(((rem + div + pop) ^ rot) + static_cast<int64_t>(f));
  };
  EXPECT_EQ(fn(vm.ctx(), vm.ctx(), 1000, 7, -2.75), expect(1000, 7, -2.75));
  EXPECT_EQ(fn(vm.ctx(), vm.ctx(), -123456789, 10, 1e10), expect(-123456789, 10, 1e10));
#endif
}


// return_call_indirect between a function without stack arguments and one
// with two, a million times each way: the callee-pops convention keeps the
// stack constant (a call and a return each would need ~64 MB of stack),
// the growing prologue and `add sp` before the jump keep sp right, and
// the stack arguments arrive in order.
constexpr char kTailLoop[] = R"(
function %a(i64, i64, i64, i64, i64, i64) -> i64 {
    sig0 = (i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> i64
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64, v5: i64):
    v6 = iconst.i64 0
    v7 = icmp eq v4, v6
    brif v7, block2, block1
block1:
    v8 = iadd_imm v4, -1
    v9 = iconst.i64 1
    v10 = iconst.i64 7
    v11 = call_indirect tail sig0, v3(v0, v1, v2, v3, v8, v5, v9, v9, v4, v10)
    return v11
block2:
    return v5
}

function %b(i64, i64, i64, i64, i64, i64, i64, i64, i64, i64) -> i64 {
    sig0 = (i64, i64, i64, i64, i64, i64) -> i64
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i64, v5: i64, v6: i64, v7: i64, v8: i64, v9: i64):
    v10 = imul_imm v5, 3
    v11 = iadd v10, v8
    v12 = isub v11, v9
    v13 = iadd v12, v6
    v14 = call_indirect tail sig0, v2(v0, v1, v2, v3, v4, v13)
    return v14
}
)";

TEST(Aarch64RunTest, TailCallsRunInConstantStack) {
#if !defined(__aarch64__)
  GTEST_SKIP() << "needs an AArch64 host (or qemu)";
#else
  void* a = CompileToMemory(kTailLoop, 0);
  void* b = CompileToMemory(kTailLoop, 1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  FakeVm vm;
  auto fn = reinterpret_cast<int64_t (*)(void*, void*, void*, void*, int64_t, int64_t)>(a);
  auto expect = [](int64_t n, int64_t acc) {
    for (; n > 0; --n) acc = static_cast<int64_t>(static_cast<uint64_t>(acc) * 3 + n - 7 + 1);
    return acc;
  };
  EXPECT_EQ(fn(vm.ctx(), vm.ctx(), a, b, 5, 2), expect(5, 2));
  EXPECT_EQ(fn(vm.ctx(), vm.ctx(), a, b, 1000000, 1), expect(1000000, 1));
#endif
}

// Every read-modify-write at several widths (narrow values zero-extended,
// the upper bits of the operand ignored), cmpxchg hit and miss (the
// comparison only over the accessed bytes), acquire loads and release
// stores, fence; the memory afterwards too.
TEST(Aarch64RunTest, AtomicReadModifyWrite) {
#if !defined(__aarch64__)
  GTEST_SKIP() << "needs an AArch64 host (or qemu)";
#else
  void* code = CompileToMemory(R"(
function %atomics(i64, i64, i64, i64, i32, i64) -> i64 {
block0(v0: i64, v1: i64, v2: i64, v3: i64, v4: i32, v5: i64):
    v6 = atomic_rmw_add.i32 w32 v4, v2, v3
    v7 = atomic_rmw_sub.i64 w64 v5, v2, v3+8
    v8 = atomic_rmw_and.i32 w8 v4, v2, v3+16
    v9 = atomic_rmw_or.i64 w16 v5, v2, v3+18
    v10 = atomic_rmw_xor.i64 w32 v5, v2, v3+20
    v11 = atomic_rmw_xchg.i32 w16 v4, v2, v3+24
    v12 = atomic_cas.i64 w64 v7, v5, v2, v3+8
    v13 = atomic_cas.i32 w8 v4, v6, v2, v3+26
    v14 = atomic_cas.i64 w32 v5, v7, v2, v3+28
    v15 = atomic_load.i64 w8 v2, v3+16
    atomic_store w16 v4, v2, v3+32
    fence
    v16 = uextend.i64 v6
    v17 = uextend.i64 v8
    v18 = uextend.i64 v11
    v19 = uextend.i64 v13
    v20 = iadd v16, v7
    v21 = bxor v20, v17
    v22 = imul_imm v21, 31
    v23 = iadd v22, v9
    v24 = imul_imm v23, 31
    v25 = iadd v24, v10
    v26 = imul_imm v25, 31
    v27 = iadd v26, v18
    v28 = imul_imm v27, 31
    v29 = iadd v28, v12
    v30 = imul_imm v29, 31
    v31 = iadd v30, v19
    v32 = imul_imm v31, 31
    v33 = iadd v32, v14
    v34 = imul_imm v33, 31
    v35 = iadd v34, v15
    return v35
}
)");
  ASSERT_NE(code, nullptr);
  auto fn = reinterpret_cast<uint64_t (*)(void*, void*, void*, uint64_t, uint32_t, uint64_t)>(
      code);
  const uint32_t x = 0xfedc1281;  // w8 and w16 operations see 0x81 / 0x1281
  const uint64_t y = 0x0123456789abcdefull;
  // Runs the function on `init` and the same steps in C on a copy
  // (little-endian, old values zero-extended); compares result and memory.
  auto check = [&](const uint8_t (&init)[64]) {
    alignas(16) uint8_t mem[64], want[64];
    std::memcpy(mem, init, 64);
    std::memcpy(want, init, 64);
    auto rd = [&](int at, int n) {
      uint64_t v = 0;
      std::memcpy(&v, want + at, n);
      return v;
    };
    auto wr = [&](int at, int n, uint64_t v) { std::memcpy(want + at, &v, n); };
    const uint64_t o6 = rd(0, 4);
    wr(0, 4, o6 + x);
    const uint64_t o7 = rd(8, 8);
    wr(8, 8, o7 - y);
    const uint64_t o8 = rd(16, 1);
    wr(16, 1, o8 & x);
    const uint64_t o9 = rd(18, 2);
    wr(18, 2, o9 | y);
    const uint64_t o10 = rd(20, 4);
    wr(20, 4, o10 ^ y);
    const uint64_t o11 = rd(24, 2);
    wr(24, 2, x);
    const uint64_t o12 = rd(8, 8);  // expects o7: misses (the slot holds o7 - y)
    if (o12 == o7) wr(8, 8, y);
    const uint64_t o13 = rd(26, 1);  // expects x's low byte
    if (o13 == (x & 0xff)) wr(26, 1, o6);
    const uint64_t o14 = rd(28, 4);  // expects y's low half
    if (o14 == (y & 0xffffffffu)) wr(28, 4, o7);
    const uint64_t o15 = rd(16, 1);
    wr(32, 2, x);
    uint64_t h = (o6 + o7) ^ o8;
    for (uint64_t v : {o9, o10, o11, o12, o13, o14, o15}) h = h * 31 + v;
    FakeVm vm;
    EXPECT_EQ(fn(vm.ctx(), vm.ctx(), mem, 0, x, y), h);
    for (int k = 0; k < 64; ++k) EXPECT_EQ(mem[k], want[k]) << "byte " << k;
  };
  uint8_t init[64];
  for (int k = 0; k < 64; ++k) init[k] = static_cast<uint8_t>(0x11 * k + 3);
  check(init);  // both narrow cmpxchgs miss
  init[26] = 0x81;
  const uint32_t lo = static_cast<uint32_t>(y);
  std::memcpy(init + 28, &lo, 4);
  check(init);  // both hit
#endif
}

}  // namespace
}  // namespace kiln::isa::aarch64
