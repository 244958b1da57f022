// IR text -> x64 backend -> run the code for real.
#include "codegen/isa/x64/lower.h"

#include <signal.h>
#include <setjmp.h>
#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "codegen/disasm/disasm.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/test_util.h"
#include "gtest/gtest.h"

namespace kiln::isa::x64 {
namespace {

struct Compiled {
  CompiledFunction cf;
  void* code = nullptr;
  template <typename Fn>
  Fn As() const { return reinterpret_cast<Fn>(code); }
};

Compiled CompileIr(const char* text, CpuFeatures features = CpuFeatures::Host(),
                   bool print = false) {
  Compiled c;
  absl::StatusOr<ir::Function> f = ir::ParseFunction(text);
  EXPECT_TRUE(f.ok()) << f.status();
  if (!f.ok()) return c;
  CompileContext ctx;
  ctx.stack_limit_offset = 0;
  ctx.stack_limit_indirect = false;
  ctx.features = features;
  std::unique_ptr<Backend> be = CreateX64Backend();
  absl::StatusOr<CompiledFunction> cf = be->Compile(*f, ctx);
  EXPECT_TRUE(cf.ok()) << cf.status();
  if (!cf.ok()) return c;
  if (print) {
    std::printf("%s\n%s", be->DumpVCode(*f, ctx).value().c_str(),
                disasm::FormatX64(cf->code).c_str());
  }
  c.cf = *cf;
  c.code = testing::MakeExecutable(cf->code);
  return c;
}

testing::FakeVmctx vmctx;

constexpr char kSumLoop[] = R"(function %sum(i64, i64, i32) -> i32 {
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
)";

TEST(X64LowerTest, SumLoop) {
  Compiled c = CompileIr(kSumLoop, CpuFeatures::Host(), /*print=*/true);
  auto fn = c.As<uint32_t (*)(void*, void*, uint32_t)>();
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn(&vmctx, &vmctx, 10), 55u);
  EXPECT_EQ(fn(&vmctx, &vmctx, 100000), static_cast<uint32_t>(5000050000ull));
}

TEST(X64LowerTest, IntegerArithmetic) {
  Compiled c = CompileIr(R"(function %arith(i64, i64, i32, i32, i64) -> i64 {
block0(v0: i64, v1: i64, v2: i32, v3: i32, v4: i64):
    v5 = sdiv v2, v3
    v6 = srem v2, v3
    v7 = udiv v2, v3
    v8 = urem v2, v3
    v9 = iadd v5, v6
    v10 = imul v9, v7
    v11 = bxor v10, v8
    v12 = uextend.i64 v11
    v13 = ishl_imm v4, 2
    v14 = iadd v12, v13
    v15 = rotl v2, v3
    v16 = uextend.i64 v15
    v17 = isub v14, v16
    return v17
}
)");
  auto fn = c.As<int64_t (*)(void*, void*, int32_t, int32_t, int64_t)>();
  ASSERT_NE(fn, nullptr);
  auto ref = [](int32_t a, int32_t b, int64_t x) -> int64_t {
    int32_t q = (b == -1) ? static_cast<int32_t>(0u - static_cast<uint32_t>(a)) : a / b;
    int32_t r = (b == -1) ? 0 : a % b;
    uint32_t uq = static_cast<uint32_t>(a) / static_cast<uint32_t>(b);
    uint32_t ur = static_cast<uint32_t>(a) % static_cast<uint32_t>(b);
    uint32_t v9 = static_cast<uint32_t>(q) + static_cast<uint32_t>(r);
    uint32_t v11 = (v9 * uq) ^ ur;
    uint32_t s = static_cast<uint32_t>(b) & 31;
    uint32_t rot = (static_cast<uint32_t>(a) << s) | (s ? static_cast<uint32_t>(a) >> (32 - s) : 0);
    return static_cast<int64_t>(static_cast<uint64_t>(v11) + (static_cast<uint64_t>(x) << 2) -
                                static_cast<uint64_t>(rot));
  };
  for (int32_t a : {7, -7, 100, -2147483647 - 1, 2147483647, 0}) {
    for (int32_t b : {3, -3, 1, -1, 7, 1 << 20}) {
      if (a == INT32_MIN && b == -1) continue;  // traps (tested below)
      EXPECT_EQ(fn(&vmctx, &vmctx, a, b, 12345), ref(a, b, 12345)) << a << " " << b;
    }
  }
}

TEST(X64LowerTest, HeapLoadFoldedIntoAdd) {
  // Sum of n i32 elements of a buffer at base (passed as the "memory").
  Compiled c = CompileIr(R"(function %vsum(i64, i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i64, v3: i32):
    v4 = iconst.i32 0
    jump block1(v4, v4)
block1(v5: i32, v6: i32):
    v7 = icmp ult v5, v3
    brif v7, block2, block3
block2:
    v8 = ishl_imm v5, 2
    v9 = heap_load.i32 v2, v8+0
    v10 = iadd v6, v9
    v11 = iadd_imm v5, 1
    jump block1(v11, v10)
block3:
    heap_store v6, v2, v4+64
    return v6
}
)", CpuFeatures::Host(), /*print=*/true);
  auto fn = c.As<int32_t (*)(void*, void*, int32_t*, int32_t)>();
  ASSERT_NE(fn, nullptr);
  int32_t buf[32] = {};
  for (int k = 0; k < 10; ++k) buf[k] = k * k;
  EXPECT_EQ(fn(&vmctx, &vmctx, buf, 10), 285);
  EXPECT_EQ(buf[16], 285);
  // The heap load was folded: some instruction adds from memory.
  std::string text = disasm::FormatX64(c.cf.code);
  EXPECT_NE(text.find("add e"), std::string::npos);
  EXPECT_NE(text.find(", [r"), std::string::npos) << text;
  bool has_oob = false;
  for (const TrapSite& t : c.cf.traps) has_oob |= t.code == abi::TrapCode::kMemoryOutOfBounds;
  EXPECT_TRUE(has_oob);
}

TEST(X64LowerTest, FloatSemantics) {
  Compiled c = CompileIr(R"(function %fl(i64, i64, f64, f64, i32) -> f64 {
block0(v0: i64, v1: i64, v2: f64, v3: f64, v4: i32):
    v5 = fmin v2, v3
    v6 = fmax v2, v3
    v7 = fcopysign v5, v3
    v8 = fabs v6
    v9 = fneg v8
    v10 = iconst.i32 0
    v11 = icmp eq v4, v10
    v12 = iconst.i32 1
    v13 = icmp eq v4, v12
    v14 = iconst.i32 2
    v15 = icmp eq v4, v14
    v16 = select v11, v5, v6
    v17 = select v13, v7, v16
    v18 = select v15, v9, v17
    return v18
}
)");
  auto fn = c.As<double (*)(void*, void*, double, double, int32_t)>();
  ASSERT_NE(fn, nullptr);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(fn(&vmctx, &vmctx, 1.5, -2.0, 0), -2.0);
  EXPECT_EQ(fn(&vmctx, &vmctx, 1.5, -2.0, 3), 1.5);
  EXPECT_TRUE(std::signbit(fn(&vmctx, &vmctx, 0.0, -0.0, 0)));
  EXPECT_FALSE(std::signbit(fn(&vmctx, &vmctx, 0.0, -0.0, 3)));
  EXPECT_TRUE(std::isnan(fn(&vmctx, &vmctx, nan, 1.0, 0)));
  EXPECT_EQ(fn(&vmctx, &vmctx, 3.0, -1.0, 1), -1.0);  // copysign(min, y)
  EXPECT_EQ(fn(&vmctx, &vmctx, -3.0, -4.0, 2), 3.0 * -1.0);
}

TEST(X64LowerTest, FloatCompareBranches) {
  Compiled c = CompileIr(R"(function %fc(i64, i64, f32, f32) -> i32 {
block0(v0: i64, v1: i64, v2: f32, v3: f32):
    v4 = fcmp eq v2, v3
    brif v4, block1, block2
block1:
    v5 = iconst.i32 1
    return v5
block2:
    v6 = fcmp lt v2, v3
    v7 = fcmp ne v2, v3
    v8 = ishl_imm v6, 1
    v9 = bor v8, v7
    return v9
}
)");
  auto fn = c.As<int32_t (*)(void*, void*, float, float)>();
  ASSERT_NE(fn, nullptr);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(fn(&vmctx, &vmctx, 1.0f, 1.0f), 1);
  EXPECT_EQ(fn(&vmctx, &vmctx, 1.0f, 2.0f), 3);
  EXPECT_EQ(fn(&vmctx, &vmctx, 2.0f, 1.0f), 1);
  EXPECT_EQ(fn(&vmctx, &vmctx, nan, 1.0f), 1);  // ne true, lt false
  EXPECT_EQ(fn(&vmctx, &vmctx, nan, nan), 1);
}

TEST(X64LowerTest, ConversionsAndRounding) {
  Compiled c = CompileIr(R"(function %cv(i64, i64, f64, i64) -> i64 {
block0(v0: i64, v1: i64, v2: f64, v3: i64):
    v4 = fcvt_to_sint_sat.i32 v2
    v5 = fcvt_to_uint_sat.i64 v2
    v6 = fcvt_from_uint.f64 v3
    v7 = nearest v6
    v8 = fcvt_to_sint_sat.i64 v7
    v9 = sextend.i64 v4
    v10 = iadd v9, v5
    v11 = iadd v10, v8
    return v11
}
)");
  auto fn = c.As<int64_t (*)(void*, void*, double, uint64_t)>();
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn(&vmctx, &vmctx, 2.7, 5), 2 + 2 + 5);
  EXPECT_EQ(fn(&vmctx, &vmctx, -2.7, 5), -2 + 0 + 5);
  EXPECT_EQ(fn(&vmctx, &vmctx, 1e30, 0), static_cast<int64_t>(2147483647) + -1 + 0);
  EXPECT_EQ(fn(&vmctx, &vmctx, std::nan(""), 0), 0);
  // u64 -> f64 of a huge value, then saturating back to i64.
  EXPECT_EQ(fn(&vmctx, &vmctx, 0, 0xFFFFFFFFFFFFFFFFull), std::numeric_limits<int64_t>::max());
}

constexpr char kBits[] = R"(function %bits(i64, i64, i32, i64) -> i64 {
block0(v0: i64, v1: i64, v2: i32, v3: i64):
    v4 = clz v2
    v5 = ctz v2
    v6 = popcnt v2
    v7 = clz v3
    v8 = ctz v3
    v9 = popcnt v3
    v10 = imul_imm v4, 1000000
    v11 = imul_imm v5, 10000
    v12 = imul_imm v6, 100
    v13 = iadd v10, v11
    v14 = iadd v13, v12
    v15 = uextend.i64 v14
    v16 = imul_imm v7, 1000000
    v17 = imul_imm v8, 10000
    v18 = imul_imm v9, 100
    v19 = iadd v16, v17
    v20 = iadd v19, v18
    v21 = ishl_imm v15, 32
    v22 = bor v21, v20
    return v22
}
)";

TEST(X64LowerTest, BitCountingWithAndWithoutCpuFeatures) {
  for (CpuFeatures feat : {CpuFeatures::Host(), CpuFeatures::Baseline()}) {
    Compiled c = CompileIr(kBits, feat);
    auto fn = c.As<uint64_t (*)(void*, void*, uint32_t, uint64_t)>();
    ASSERT_NE(fn, nullptr);
    auto ref = [](uint32_t a, uint64_t b) {
      uint64_t hi = (a ? __builtin_clz(a) : 32) * 1000000ull + (a ? __builtin_ctz(a) : 32) * 10000ull +
                    __builtin_popcount(a) * 100ull;
      uint64_t lo = (b ? __builtin_clzll(b) : 64) * 1000000ull +
                    (b ? __builtin_ctzll(b) : 64) * 10000ull + __builtin_popcountll(b) * 100ull;
      return (hi << 32) | lo;
    };
    for (uint32_t a : {0u, 1u, 0x80000000u, 0xF0F0u, 0xFFFFFFFFu}) {
      for (uint64_t b : {0ull, 1ull, 0x8000000000000000ull, 0x123456789ull, ~0ull}) {
        EXPECT_EQ(fn(&vmctx, &vmctx, a, b), ref(a, b)) << a << " " << b;
      }
    }
  }
}

// Variable shifts, rotates by a constant, and-not, x & (x - 1), x & -x:
// BMI1 / BMI2 forms (shlx, rorx, andn, blsr, blsi) where the CPU has them.
constexpr char kBmi[] = R"(function %bmi(i64, i64, i32, i64, i32) -> i64 {
block0(v0: i64, v1: i64, v2: i32, v3: i64, v4: i32):
    v5 = ishl v2, v4
    v6 = ushr v2, v4
    v7 = sshr v2, v4
    v8 = iconst.i32 7
    v9 = rotr v2, v8
    v10 = iconst.i64 13
    v11 = rotl v3, v10
    v12 = iconst.i32 -1
    v13 = bxor v4, v12
    v14 = band v2, v13
    v15 = iconst.i64 1
    v16 = isub v3, v15
    v17 = band v3, v16
    v18 = iconst.i32 0
    v19 = isub v18, v2
    v20 = band v2, v19
    v21 = uextend.i64 v4
    v22 = sshr v3, v21
    v30 = uextend.i64 v5
    v31 = imul_imm v30, 1000003
    v32 = uextend.i64 v6
    v33 = iadd v31, v32
    v34 = imul_imm v33, 1000003
    v35 = uextend.i64 v7
    v36 = iadd v34, v35
    v37 = imul_imm v36, 1000003
    v38 = uextend.i64 v9
    v39 = iadd v37, v38
    v40 = imul_imm v39, 1000003
    v41 = iadd v40, v11
    v42 = imul_imm v41, 1000003
    v43 = uextend.i64 v14
    v44 = iadd v42, v43
    v45 = imul_imm v44, 1000003
    v46 = iadd v45, v17
    v47 = imul_imm v46, 1000003
    v48 = uextend.i64 v20
    v49 = iadd v47, v48
    v50 = imul_imm v49, 1000003
    v51 = iadd v50, v22
    return v51
}
)";

TEST(X64LowerTest, BmiWithAndWithoutCpuFeatures) {
  CpuFeatures no_bmi = CpuFeatures::Host();
  no_bmi.bmi1 = no_bmi.bmi2 = false;
  for (CpuFeatures feat : {CpuFeatures::Host(), no_bmi, CpuFeatures::Baseline()}) {
    Compiled c = CompileIr(kBmi, feat);
    auto fn = c.As<uint64_t (*)(void*, void*, uint32_t, uint64_t, uint32_t)>();
    ASSERT_NE(fn, nullptr);
    auto ref = [](uint32_t a, uint64_t b, uint32_t n) {
      const uint32_t s = n & 31;
      const uint64_t r[] = {
          a << s,
          a >> s,
          static_cast<uint32_t>(static_cast<int32_t>(a) >> s),
          (a >> 7) | (a << 25),
          (b << 13) | (b >> 51),
          a & ~n,
          b & (b - 1),
          a & (0u - a),
          static_cast<uint64_t>(static_cast<int64_t>(b) >> (n & 63)),
      };
      uint64_t acc = r[0];
      for (int k = 1; k < 9; ++k) acc = acc * 1000003 + r[k];
      return acc;
    };
    for (uint32_t a : {0u, 1u, 0x80000000u, 0xF0F0u, 0xFFFFFFFFu, 0x12345678u}) {
      for (uint64_t b : {0ull, 1ull, 0x8000000000000000ull, 0x123456789ull, ~0ull}) {
        for (uint32_t n : {0u, 1u, 7u, 31u, 32u, 45u, 63u, 0xFFFFFFFFu}) {
          EXPECT_EQ(fn(&vmctx, &vmctx, a, b, n), ref(a, b, n)) << a << " " << b << " " << n;
        }
      }
    }
  }
}

extern "C" int64_t KilnLowerTestCallee(int64_t vm1, int64_t vm2, int64_t a, int64_t b, int64_t c,
                                       int64_t d, int64_t e, int64_t f, double x) {
  return (vm1 == vm2 ? 1 : 0) + a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f +
         static_cast<int64_t>(x * 100);
}

TEST(X64LowerTest, CallIndirectWithStackArguments) {
  Compiled c = CompileIr(R"(function %caller(i64, i64, i64, i64) -> i64 {
    sig0 = (i64, i64, i64, i64, i64, i64, i64, i64, f64) -> i64
block0(v0: i64, v1: i64, v2: i64, v3: i64):
    v4 = iconst.i64 1
    v5 = iconst.i64 2
    v6 = f64const 0x4004000000000000
    v7 = call_indirect sig0, v2(v0, v0, v3, v4, v5, v3, v4, v5, v6)
    v8 = iadd v7, v3
    v9 = call_indirect sig0, v2(v0, v0, v8, v8, v8, v8, v8, v8, v6)
    v10 = iadd v9, v3
    return v10
}
)");
  auto fn = c.As<int64_t (*)(void*, void*, void*, int64_t)>();
  ASSERT_NE(fn, nullptr);
  int64_t r1 = KilnLowerTestCallee(1, 1, 10, 1, 2, 10, 1, 2, 2.5);
  int64_t r2 = KilnLowerTestCallee(1, 1, r1 + 10, r1 + 10, r1 + 10, r1 + 10, r1 + 10, r1 + 10, 2.5);
  EXPECT_EQ(fn(&vmctx, &vmctx, reinterpret_cast<void*>(&KilnLowerTestCallee), 10), r2 + 10);
}

TEST(X64LowerTest, MultipleResultsThroughReturnArea) {
  Compiled callee = CompileIr(R"(function %two(i64, i64, i32, f64) -> i32, f64, i64 {
block0(v0: i64, v1: i64, v2: i32, v3: f64):
    v4 = iadd_imm v2, 1
    v5 = fadd v3, v3
    v6 = iconst.i64 -5
    return v4, v5, v6
}
)");
  ASSERT_NE(callee.code, nullptr);
  Compiled caller = CompileIr(R"(function %use(i64, i64, i64) -> f64 {
    sig0 = (i64, i64, i32, f64) -> i32, f64, i64
block0(v0: i64, v1: i64, v2: i64):
    v3 = iconst.i32 41
    v4 = f64const 0x3ff8000000000000
    v5, v6, v7 = call_indirect sig0, v2(v0, v0, v3, v4)
    v8 = fcvt_from_sint.f64 v5
    v9 = fadd v8, v6
    v10 = fcvt_from_sint.f64 v7
    v11 = fadd v9, v10
    return v11
}
)");
  auto fn = caller.As<double (*)(void*, void*, void*)>();
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(fn(&vmctx, &vmctx, callee.code), 42.0 + 3.0 - 5.0);
}

// ---- Traps: run code that faults and check the trap table ----

sigjmp_buf trap_jmp;
uintptr_t trap_pc = 0;

void TrapHandler(int, siginfo_t*, void* uctx) {
  trap_pc = static_cast<ucontext_t*>(uctx)->uc_mcontext.gregs[REG_RIP];
  siglongjmp(trap_jmp, 1);
}

// Runs `call` and returns the trap code found in the trap table at the
// faulting pc, or nullopt if it returned normally.
template <typename F>
std::optional<abi::TrapCode> RunForTrap(const Compiled& c, F call) {
  struct sigaction sa = {}, old_ill, old_fpe, old_segv;
  sa.sa_sigaction = TrapHandler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGILL, &sa, &old_ill);
  sigaction(SIGFPE, &sa, &old_fpe);
  sigaction(SIGSEGV, &sa, &old_segv);
  std::optional<abi::TrapCode> result;
  if (sigsetjmp(trap_jmp, 1) == 0) {
    call();
  } else {
    uintptr_t off = trap_pc - reinterpret_cast<uintptr_t>(c.code);
    for (const TrapSite& t : c.cf.traps) {
      if (t.code_offset == off) result = t.code;
    }
    if (!result) ADD_FAILURE() << "fault at offset " << off << " not in the trap table";
  }
  sigaction(SIGILL, &old_ill, nullptr);
  sigaction(SIGFPE, &old_fpe, nullptr);
  sigaction(SIGSEGV, &old_segv, nullptr);
  return result;
}

TEST(X64LowerTest, TrapsMapToTrapCodes) {
  Compiled c = CompileIr(R"(function %t(i64, i64, i32, i32, f32) -> i32 {
block0(v0: i64, v1: i64, v2: i32, v3: i32, v4: f32):
    v5 = iconst.i32 7
    v6 = icmp eq v2, v5
    trapnz v6, unreachable_code_reached
    v7 = sdiv v2, v3
    v8 = fcvt_to_sint.i32 v4
    v9 = iadd v7, v8
    return v9
}
)");
  auto fn = c.As<int32_t (*)(void*, void*, int32_t, int32_t, float)>();
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(RunForTrap(c, [&] { EXPECT_EQ(fn(&vmctx, &vmctx, 9, 3, 2.5f), 5); }), std::nullopt);
  EXPECT_EQ(RunForTrap(c, [&] { fn(&vmctx, &vmctx, 7, 1, 0); }),
            abi::TrapCode::kUnreachableCodeReached);
  EXPECT_EQ(RunForTrap(c, [&] { fn(&vmctx, &vmctx, 1, 0, 0); }),
            abi::TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(RunForTrap(c, [&] { fn(&vmctx, &vmctx, INT32_MIN, -1, 0); }),
            abi::TrapCode::kIntegerOverflow);
  EXPECT_EQ(RunForTrap(c, [&] { fn(&vmctx, &vmctx, 1, 1, std::nanf("")); }),
            abi::TrapCode::kBadConversionToInteger);
  EXPECT_EQ(RunForTrap(c, [&] { fn(&vmctx, &vmctx, 1, 1, 3e9f); }),
            abi::TrapCode::kIntegerOverflow);
  EXPECT_EQ(RunForTrap(c, [&] { EXPECT_EQ(fn(&vmctx, &vmctx, 1, 1, -2147483648.0f), INT32_MIN + 1); }),
            std::nullopt);
  testing::FakeVmctx high;
  high.stack_limit = ~0ull;  // every stack pointer is below the limit
  EXPECT_EQ(RunForTrap(c, [&] { fn(&high, &high, 1, 1, 0); }), abi::TrapCode::kStackOverflow);
}

TEST(X64LowerTest, StackLimitThroughRuntimeLimits) {
  // Default CompileContext: the limit is read through [vmctx + 8].
  absl::StatusOr<ir::Function> f = ir::ParseFunction(R"(function %id(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    return v2
}
)");
  ASSERT_TRUE(f.ok());
  CompileContext ctx;
  absl::StatusOr<CompiledFunction> cf = CreateX64Backend()->Compile(*f, ctx);
  ASSERT_TRUE(cf.ok()) << cf.status();
  Compiled c;
  c.cf = *cf;
  c.code = testing::MakeExecutable(cf->code);
  auto fn = c.As<int32_t (*)(void*, void*, int32_t)>();
  uint64_t limits[4] = {0, 0, 0, 0};
  uint64_t vm[8] = {0, reinterpret_cast<uint64_t>(limits), 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(RunForTrap(c, [&] { EXPECT_EQ(fn(vm, vm, 42), 42); }), std::nullopt);
  limits[0] = ~0ull;
  EXPECT_EQ(RunForTrap(c, [&] { fn(vm, vm, 42); }), abi::TrapCode::kStackOverflow);
}

TEST(X64LowerTest, HeapOutOfBoundsFaultIsInTrapTable) {
  Compiled c = CompileIr(R"(function %oob(i64, i64, i64, i32) -> i64 {
block0(v0: i64, v1: i64, v2: i64, v3: i32):
    v4 = heap_load.i64 v2, v3+8
    return v4
}
)");
  auto fn = c.As<int64_t (*)(void*, void*, void*, uint32_t)>();
  ASSERT_NE(fn, nullptr);
  EXPECT_EQ(RunForTrap(c, [&] { fn(&vmctx, &vmctx, nullptr, 0); }),
            abi::TrapCode::kMemoryOutOfBounds);
}

TEST(X64LowerTest, SourceMapFromSrclocs) {
  Compiled c = CompileIr(R"(function %s(i64, i64, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32):
    @0010 v3 = iadd_imm v2, 1
    @0014 v4 = imul v3, v3
    @0020 return v4
}
)");
  ASSERT_FALSE(c.cf.source_map.empty());
  EXPECT_EQ(c.cf.source_map.front().wasm_offset, 0x10u);
  EXPECT_EQ(c.cf.source_map.back().wasm_offset, 0x20u);
}

}  // namespace
}  // namespace kiln::isa::x64
