// SIMD lowering: IR text -> x64 backend -> run the code for real.
#include <emmintrin.h>

#include <cstdint>
#include <cstring>

#include <random>
#include <string>

#include "codegen/ir/interpreter.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/vector_cases.h"
#include "codegen/isa/x64/lower.h"
#include "codegen/isa/x64/test_util.h"
#include "gtest/gtest.h"

namespace kiln::isa::x64 {
namespace {

absl::StatusOr<CompiledFunction> CompileIr(const char* text, CpuFeatures features) {
  absl::StatusOr<ir::Function> f = ir::ParseFunction(text);
  if (!f.ok()) return f.status();
  CompileContext ctx;
  ctx.stack_limit_offset = 0;
  ctx.stack_limit_indirect = false;
  ctx.features = features;
  return CreateX64Backend()->Compile(*f, ctx);
}

testing::FakeVmctx vmctx;

// 20 v128 values live at once: more than the allocatable xmm registers, so
// some go to (16-byte) spill slots.
constexpr char kPressure[] = R"(function %pressure(i64, i64, v128, v128) -> v128 {
block0(v0: i64, v1: i64, v2: v128, v3: v128):
    v4 = iconst.i32 1
    v5 = splat.i32x4 v4
    v6 = iadd.i32x4 v2, v5
    v7 = iconst.i32 2
    v8 = splat.i32x4 v7
    v9 = iadd.i32x4 v2, v8
    v10 = iconst.i32 3
    v11 = splat.i32x4 v10
    v12 = iadd.i32x4 v2, v11
    v13 = iconst.i32 4
    v14 = splat.i32x4 v13
    v15 = iadd.i32x4 v2, v14
    v16 = iconst.i32 5
    v17 = splat.i32x4 v16
    v18 = iadd.i32x4 v2, v17
    v19 = iconst.i32 6
    v20 = splat.i32x4 v19
    v21 = iadd.i32x4 v2, v20
    v22 = iconst.i32 7
    v23 = splat.i32x4 v22
    v24 = iadd.i32x4 v2, v23
    v25 = iconst.i32 8
    v26 = splat.i32x4 v25
    v27 = iadd.i32x4 v2, v26
    v28 = iconst.i32 9
    v29 = splat.i32x4 v28
    v30 = iadd.i32x4 v2, v29
    v31 = iconst.i32 10
    v32 = splat.i32x4 v31
    v33 = iadd.i32x4 v2, v32
    v34 = iconst.i32 11
    v35 = splat.i32x4 v34
    v36 = iadd.i32x4 v2, v35
    v37 = iconst.i32 12
    v38 = splat.i32x4 v37
    v39 = iadd.i32x4 v2, v38
    v40 = iconst.i32 13
    v41 = splat.i32x4 v40
    v42 = iadd.i32x4 v2, v41
    v43 = iconst.i32 14
    v44 = splat.i32x4 v43
    v45 = iadd.i32x4 v2, v44
    v46 = iconst.i32 15
    v47 = splat.i32x4 v46
    v48 = iadd.i32x4 v2, v47
    v49 = iconst.i32 16
    v50 = splat.i32x4 v49
    v51 = iadd.i32x4 v2, v50
    v52 = iconst.i32 17
    v53 = splat.i32x4 v52
    v54 = iadd.i32x4 v2, v53
    v55 = iconst.i32 18
    v56 = splat.i32x4 v55
    v57 = iadd.i32x4 v2, v56
    v58 = iconst.i32 19
    v59 = splat.i32x4 v58
    v60 = iadd.i32x4 v2, v59
    v61 = iconst.i32 20
    v62 = splat.i32x4 v61
    v63 = iadd.i32x4 v2, v62
    v64 = iadd.i32x4 v6, v9
    v65 = iadd.i32x4 v64, v12
    v66 = iadd.i32x4 v65, v15
    v67 = iadd.i32x4 v66, v18
    v68 = iadd.i32x4 v67, v21
    v69 = iadd.i32x4 v68, v24
    v70 = iadd.i32x4 v69, v27
    v71 = iadd.i32x4 v70, v30
    v72 = iadd.i32x4 v71, v33
    v73 = iadd.i32x4 v72, v36
    v74 = iadd.i32x4 v73, v39
    v75 = iadd.i32x4 v74, v42
    v76 = iadd.i32x4 v75, v45
    v77 = iadd.i32x4 v76, v48
    v78 = iadd.i32x4 v77, v51
    v79 = iadd.i32x4 v78, v54
    v80 = iadd.i32x4 v79, v57
    v81 = iadd.i32x4 v80, v60
    v82 = iadd.i32x4 v81, v63
    v83 = iadd.i32x4 v82, v3
    return v83
}
)";

TEST(LowerSimdTest, SpillsKeepAll128Bits) {
  auto cf = CompileIr(kPressure, CpuFeatures::All());
  ASSERT_TRUE(cf.ok()) << cf.status();
  EXPECT_GT(cf->num_spill_slots, 0u);
  using Fn = __m128i (*)(void*, void*, __m128i, __m128i);
  auto fn = reinterpret_cast<Fn>(testing::MakeExecutable(cf->code));
  __m128i x = _mm_setr_epi32(1, -2, 1000, 0x10000000);
  __m128i y = _mm_setr_epi32(5, 6, 7, 8);
  __m128i r = fn(&vmctx, &vmctx, x, y);
  int32_t got[4], xs[4] = {1, -2, 1000, 0x10000000}, ys[4] = {5, 6, 7, 8};
  std::memcpy(got, &r, 16);
  for (int k = 0; k < 4; ++k) {
    EXPECT_EQ(got[k], static_cast<int32_t>(20u * static_cast<uint32_t>(xs[k]) + 210u + ys[k]))
        << "lane " << k;
  }
}

constexpr char kShuffle[] = R"(function %shuf(i64, i64, v128, v128) -> v128 {
block0(v0: i64, v1: i64, v2: v128, v3: v128):
    v4 = iconst.i64 2237758002680174856
    v5 = iconst.i64 1659036619975561472
    v6 = shuffle.i8x16 v2, v3, v4, v5
    return v6
}
)";

TEST(LowerSimdTest, ShuffleInterleavesBothOperands) {
  auto cf = CompileIr(kShuffle, CpuFeatures::All());
  ASSERT_TRUE(cf.ok()) << cf.status();
  using Fn = __m128i (*)(void*, void*, __m128i, __m128i);
  auto fn = reinterpret_cast<Fn>(testing::MakeExecutable(cf->code));
  uint8_t a[16], b[16], want[16], got[16];
  for (int k = 0; k < 16; ++k) {
    a[k] = static_cast<uint8_t>(k);
    b[k] = static_cast<uint8_t>(0x80 + k);
  }
  const uint8_t lanes[16] = {0x08, 0x19, 0x0a, 0x1b, 0x0c, 0x1d, 0x0e, 0x1f,
                             0x00, 0x11, 0x02, 0x13, 0x04, 0x15, 0x06, 0x17};
  for (int k = 0; k < 16; ++k) want[k] = lanes[k] < 16 ? a[lanes[k]] : b[lanes[k] - 16];
  __m128i va, vb;
  std::memcpy(&va, a, 16);
  std::memcpy(&vb, b, 16);
  __m128i r = fn(&vmctx, &vmctx, va, vb);
  std::memcpy(got, &r, 16);
  EXPECT_EQ(std::memcmp(got, want, 16), 0);
}

TEST(LowerSimdTest, NeedsSse41) {
  auto cf = CompileIr(kShuffle, CpuFeatures::Baseline());
  ASSERT_FALSE(cf.ok());
  EXPECT_EQ(cf.status().code(), absl::StatusCode::kUnimplemented) << cf.status();
}

constexpr char kI64Gt[] = R"(function %gt(i64, i64, v128, v128) -> v128 {
block0(v0: i64, v1: i64, v2: v128, v3: v128):
    v4 = icmp.i64x2 sgt v2, v3
    return v4
}
)";

TEST(LowerSimdTest, I64x2OrderedComparesNeedSse42) {
  CpuFeatures f = CpuFeatures::All();
  f.sse42 = false;
  auto cf = CompileIr(kI64Gt, f);
  ASSERT_FALSE(cf.ok());
  EXPECT_EQ(cf.status().code(), absl::StatusCode::kUnimplemented) << cf.status();
  EXPECT_TRUE(CompileIr(kI64Gt, CpuFeatures::All()).ok());
}

// Every vector row, every shape it takes, every condition code: the x64
// code and the IR interpreter (codegen/ir/simd_eval.cc) agree on random
// and edge-case lanes (cases from codegen/isa/vector_cases.h).
TEST(LowerSimdTest, EveryVectorOpMatchesTheInterpreter) {
  std::mt19937_64 rng(11);
  int cases = 0;
  for (const isa::testing::VectorCaseKind& kind : isa::testing::AllVectorCaseKinds()) {
    // Rows lowered to VEX instructions run only where the host has them.
    if ((kind.op == ir::Opcode::kVfma && !CpuFeatures::Host().fma) ||
        (kind.op == ir::Opcode::kX86Blendv && !CpuFeatures::Host().avx)) {
      continue;
    }
    for (int trial = 0; trial < 6; ++trial) {
      const std::string text = isa::testing::VectorCase(kind, rng);
      absl::StatusOr<ir::Function> f = ir::ParseFunction(text);
      ASSERT_TRUE(f.ok()) << f.status() << "\n" << text;
      auto cf = CompileIr(text.c_str(), CpuFeatures::All());
      if (!cf.ok() && kind.op == ir::Opcode::kVicmp && kind.shape == ir::Type::kI64X2 &&
          static_cast<ir::IntCC>(kind.cc) >= ir::IntCC::kUlt) {
        break;  // No unsigned i64x2 compares in wasm, nor a lowering.
      }
      ASSERT_TRUE(cf.ok()) << cf.status() << "\n" << text;
      using Fn = int64_t (*)(void*, void*, int32_t);
      auto fn = reinterpret_cast<Fn>(testing::MakeExecutable(cf->code));
      for (int32_t k = 0; k < 2; ++k) {
        auto want = ir::Interpret(*f, {0, 0, static_cast<uint64_t>(k)});
        ASSERT_TRUE(want.ok()) << want.status() << "\n" << text;
        const uint64_t got = static_cast<uint64_t>(fn(&vmctx, &vmctx, k));
        EXPECT_TRUE(isa::testing::SameResultBits(kind, got, want->results[0]))
            << std::hex << "machine 0x" << got << ", interpreter 0x"
            << want->results[0] << " for k=" << k << "\n" << text;
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 1000);
}

}  // namespace
}  // namespace kiln::isa::x64
