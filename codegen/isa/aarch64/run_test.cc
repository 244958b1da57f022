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

// Compiles the single function in `ir` and maps it executable.
void* CompileToMemory(const char* ir) {
  auto funcs = ir::ParseFunctions(ir);
  EXPECT_TRUE(funcs.ok()) << funcs.status();
  if (!funcs.ok()) return nullptr;
  CompileContext ctx;
  auto c = CreateAarch64Backend()->Compile((*funcs)[0], ctx);
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

}  // namespace
}  // namespace kiln::isa::aarch64
