// NEON lowering run for real: every IR vector row x every lane shape x
// every condition code (codegen/isa/vector_cases.h) against the IR
// interpreter, plus v128 values through 16-byte spill slots. Meaningful on
// an AArch64 host; the cross build runs it under qemu:
// `bazel test --config=aarch64 //codegen/isa/aarch64:lower_simd_test`.
#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/ir/interpreter.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/vector_cases.h"
#include "gtest/gtest.h"

namespace kiln::isa::aarch64 {
namespace {

// Used only where the test runs (an AArch64 host or qemu).
[[maybe_unused]] absl::StatusOr<CompiledFunction> CompileIr(const std::string& text) {
  absl::StatusOr<ir::Function> f = ir::ParseFunction(text);
  if (!f.ok()) return f.status();
  CompileContext ctx;
  ctx.stack_check = false;
  return CreateAarch64Backend()->Compile(*f, ctx);
}

// Executable copy of `code` with the instruction cache made coherent.
// Leaks on purpose.
[[maybe_unused]] void* MakeExecutable(const std::vector<uint8_t>& code) {
  const size_t size = (code.size() + 4095) & ~size_t{4095};
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  std::memcpy(p, code.data(), code.size());
  mprotect(p, size, PROT_READ | PROT_EXEC);
  __builtin___clear_cache(static_cast<char*>(p), static_cast<char*>(p) + code.size());
  return p;
}

[[maybe_unused]] uint64_t vmctx[16];

TEST(Aarch64LowerSimdTest, EveryVectorOpMatchesTheInterpreter) {
#if !defined(__aarch64__)
  GTEST_SKIP() << "needs an AArch64 host (or qemu)";
#else
  std::mt19937_64 rng(11);
  int cases = 0;
  for (const testing::VectorCaseKind& kind : testing::AllVectorCaseKinds()) {
    for (int trial = 0; trial < 6; ++trial) {
      const std::string text = testing::VectorCase(kind, rng);
      absl::StatusOr<ir::Function> f = ir::ParseFunction(text);
      ASSERT_TRUE(f.ok()) << f.status() << "\n" << text;
      absl::StatusOr<CompiledFunction> cf = CompileIr(text);
      ASSERT_TRUE(cf.ok()) << cf.status() << "\n" << text;
      using Fn = int64_t (*)(void*, void*, int32_t);
      auto fn = reinterpret_cast<Fn>(MakeExecutable(cf->code));
      for (int32_t k = 0; k < 2; ++k) {
        auto want = ir::Interpret(*f, {0, 0, static_cast<uint64_t>(k)});
        ASSERT_TRUE(want.ok()) << want.status() << "\n" << text;
        const uint64_t got = static_cast<uint64_t>(fn(vmctx, vmctx, k));
        EXPECT_TRUE(testing::SameResultBits(kind, got, want->results[0]))
            << std::hex << "machine 0x" << got << ", interpreter 0x" << want->results[0]
            << " for k=" << k << "\n" << text;
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 1000);
#endif
}

// 24 v128 values live at once: more than the 23 allocatable vector
// registers, so some go to 16-byte spill slots; both halves must survive.
TEST(Aarch64LowerSimdTest, SpillsKeepAll128Bits) {
#if !defined(__aarch64__)
  GTEST_SKIP() << "needs an AArch64 host (or qemu)";
#else
  constexpr int kN = 24;
  std::string text =
      "function %pressure(i64, i64, i32) -> i64 {\n"
      "block0(v0: i64, v1: i64, v2: i32):\n";
  int next = 3;
  std::vector<int> xs;
  uint64_t want[2] = {0, 0};
  for (int k = 0; k < kN; ++k) {
    const uint64_t lo = 0x0101010101010101ull * (k + 1), hi = 0x1000000000000001ull * (k + 3);
    want[0] += lo;
    want[1] += hi;
    absl::StrAppend(&text, "    v", next, " = iconst.i64 ", static_cast<int64_t>(lo), "\n",
                    "    v", next + 1, " = iconst.i64 ", static_cast<int64_t>(hi), "\n",
                    "    v", next + 2, " = vconst.v128 v", next, ", v", next + 1, "\n");
    xs.push_back(next + 2);
    next += 3;
  }
  int acc = xs[kN - 1];
  for (int k = kN - 2; k >= 0; --k) {
    absl::StrAppend(&text, "    v", next, " = iadd.i64x2 v", acc, ", v", xs[k], "\n");
    acc = next++;
  }
  absl::StrAppend(&text, "    v", next, " = extractlane.i64x2 v", acc, ", 0\n",
                  "    v", next + 1, " = extractlane.i64x2 v", acc, ", 1\n",
                  "    v", next + 2, " = select v2, v", next + 1, ", v", next, "\n",
                  "    return v", next + 2, "\n}\n");
  absl::StatusOr<CompiledFunction> cf = CompileIr(text);
  ASSERT_TRUE(cf.ok()) << cf.status() << "\n" << text;
  EXPECT_GT(cf->num_spill_slots, 0u);
  using Fn = uint64_t (*)(void*, void*, int32_t);
  auto fn = reinterpret_cast<Fn>(MakeExecutable(cf->code));
  EXPECT_EQ(fn(vmctx, vmctx, 0), want[0]);
  EXPECT_EQ(fn(vmctx, vmctx, 1), want[1]);
#endif
}

}  // namespace
}  // namespace kiln::isa::aarch64
