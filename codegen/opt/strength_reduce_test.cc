// strength_reduce: random loops over heap arrays (affine indexes with
// shifts, multiplies, invariant bases and constant offsets that often wrap
// around 2^32, several exit tests, nests) are interpreted before and after
// the pass (+ dce) on many inputs: same results, same trap, same heap.
#include "codegen/opt/strength_reduce.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/ir/builder.h"
#include "codegen/ir/interpreter.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/dce.h"
#include "codegen/opt/licm.h"
#include "codegen/opt/test_util.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

using ir::Block;
using ir::Type;
using ir::Value;

enum class Exit { kNeInc, kEqInc, kNeParam, kUltInc, kBrifInc };

// One generated function and how to make inputs for it.
struct Case {
  ir::Function f;
  int64_t step = 1;
  Exit exit = Exit::kNeInc;
};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  // (i64 heap, i64 vmctx, i32 base, i32 init, i32 bound) -> i32
  Case Make() {
    Case c;
    c.f = ir::Function("sr", ir::Signature{{Type::kI64, Type::kI64, Type::kI32,
                                            Type::kI32, Type::kI32},
                                           {Type::kI32}});
    f_ = &c.f;
    ir::FunctionBuilder b(f_);
    b_ = &b;
    const Block entry = b.CreateBlock();
    b.AppendEntryParams(entry);
    b.SwitchToBlock(entry);
    b.SealBlock(entry);
    const auto p = f_->block_params(entry);
    heap_ = p[0];
    base_ = p[2];
    static const int64_t kSteps[] = {1, 2, 4, 8, -1, -4, 3, 16};
    c.step = kSteps[Pick(std::size(kSteps))];
    c.exit = static_cast<Exit>(Pick(5));
    const bool nest = Pick(3) == 0;
    const Value zero = b.Iconst(Type::kI32, 0);
    Value outer_iv;
    Block outer_header, outer_exit;
    if (nest) {
      outer_header = b.CreateBlock();
      const Value oi = f_->AppendBlockParam(outer_header, Type::kI32);
      const Value oacc = f_->AppendBlockParam(outer_header, Type::kI32);
      b.Jump(outer_header, {zero, zero});
      b.SwitchToBlock(outer_header);
      outer_iv = oi;
      acc_in_ = oacc;
    } else {
      acc_in_ = zero;
    }
    // The inner (or only) loop.
    const Block header = b.CreateBlock();
    const Value iv = f_->AppendBlockParam(header, Type::kI32);
    const Value acc = f_->AppendBlockParam(header, Type::kI32);
    // An invariant row base for nests: base + outer*scale.
    Value row = base_;
    if (nest) row = b.Iadd(base_, b.ImulImm(outer_iv, 64 * (1 + Pick(3))));
    b.Jump(header, {p[3], acc_in_});
    b.SwitchToBlock(header);
    Value a = acc;
    Value shared_shift;
    const int accesses = 1 + Pick(4);
    for (int k = 0; k < accesses; ++k) {
      Value e = iv;
      switch (Pick(5)) {
        case 0: e = b.IshlImm(e, Pick(4)); break;
        case 1: {
          static const int64_t kMul[] = {1, 3, 5, 8, 12, -4, 24};
          e = b.ImulImm(e, kMul[Pick(std::size(kMul))]);
          break;
        }
        case 2:
          if (!shared_shift.valid()) shared_shift = b.IshlImm(iv, 2);
          e = shared_shift;
          break;
        case 3: e = b.Imul(e, b.Iconst(Type::kI32, 6)); break;
        default: break;
      }
      switch (Pick(4)) {
        case 0: e = b.Iadd(row, e); break;
        case 1: e = b.Iadd(e, b.IaddImm(row, 8 * Pick(4))); break;  // in-loop invariant
        case 2: e = b.Iadd(e, base_); break;
        default: break;
      }
      if (Pick(2)) e = b.IaddImm(e, static_cast<int64_t>(Pick(33)) - 16);
      if (Pick(4) == 0) e = b.Isub(e, b.Iconst(Type::kI32, 4));
      if (Pick(3) == 0) {
        b.HeapStore(a, heap_, e, 0);
      } else {
        const Value v = Pick(2) ? b.HeapLoad(Type::kI32, heap_, e, 0)
                                : b.HeapUload8(Type::kI32, heap_, e, 4);
        a = b.Iadd(b.ImulImm(a, 3), v);
      }
    }
    const Value inc = Pick(2) ? b.IaddImm(iv, c.step)
                              : b.Iadd(iv, b.Iconst(Type::kI32, c.step));
    const Value bound = f_->block_params(entry)[4];
    const Block exit = b.CreateBlock();
    switch (c.exit) {
      case Exit::kNeInc:
        b.Brif(b.Icmp(ir::IntCC::kNe, bound, inc), header, {inc, a}, exit, {});
        break;
      case Exit::kEqInc:
        b.Brif(b.Icmp(ir::IntCC::kEq, inc, bound), exit, {}, header, {inc, a});
        break;
      case Exit::kNeParam:
        b.Brif(b.Icmp(ir::IntCC::kNe, iv, bound), header, {inc, a}, exit, {});
        break;
      case Exit::kUltInc:
        b.Brif(b.Icmp(ir::IntCC::kUlt, inc, bound), header, {inc, a}, exit, {});
        break;
      case Exit::kBrifInc:
        b.Brif(inc, header, {inc, a}, exit, {});
        break;
    }
    b.SealBlock(header);
    b.SwitchToBlock(exit);
    b.SealBlock(exit);
    if (nest) {
      const Value onext = b.IaddImm(outer_iv, 1);
      outer_exit = b.CreateBlock();
      b.Brif(b.Icmp(ir::IntCC::kNe, onext, b.Iconst(Type::kI32, 3)),
             outer_header, {onext, a}, outer_exit, {});
      b.SealBlock(outer_header);
      b.SwitchToBlock(outer_exit);
      b.SealBlock(outer_exit);
    }
    b.Return({a});
    return c;
  }

 private:
  uint32_t Pick(uint32_t n) {
    return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_);
  }

  std::mt19937 rng_;
  ir::Function* f_ = nullptr;
  ir::FunctionBuilder* b_ = nullptr;
  Value heap_, base_, acc_in_;
};

struct Execution {
  absl::StatusOr<ir::InterpOutcome> out;
  std::vector<uint8_t> heap;
};

Execution Execute(const ir::Function& f, const std::vector<uint64_t>& args) {
  Execution r;
  r.heap.assign(1 << 16, 0);
  for (size_t k = 0; k < r.heap.size(); ++k) r.heap[k] = (k * 7 + k / 256) & 0xff;
  ir::InterpOptions o;
  o.heap = &r.heap;
  o.fuel = 200'000;
  r.out = ir::Interpret(f, args, o);
  return r;
}

TEST(StrengthReduceTest, RandomLoopsBehaveTheSame) {
  std::mt19937 rng(1234);
  int changed = 0, compared = 0;
  for (uint32_t seed = 0; seed < 1500; ++seed) {
    Generator g(seed);
    Case c = g.Make();
    ASSERT_TRUE(ir::VerifyFunction(c.f).ok()) << ir::PrintFunction(c.f);
    auto reduced = ir::ParseFunction(ir::PrintFunction(c.f));
    ASSERT_TRUE(reduced.ok());
    StrengthReducePass sr;
    const bool did = sr.Run(*reduced);
    DcePass().Run(*reduced);
    ASSERT_TRUE(ir::VerifyFunction(*reduced).ok())
        << ir::VerifyFunction(*reduced).message() << "\n"
        << ir::PrintFunction(c.f) << ir::PrintFunction(*reduced);
    changed += did;
    for (int run = 0; run < 12; ++run) {
      // Bases near 0 and near 2^32 (indexes that wrap), inits around 0,
      // bounds a whole number of steps away (the ne/eq tests end) or not.
      const int64_t base = std::uniform_int_distribution<int64_t>(-600, 3000)(rng);
      const int64_t init = std::uniform_int_distribution<int64_t>(-20, 60)(rng);
      const int64_t trips = std::uniform_int_distribution<int64_t>(1, 30)(rng);
      int64_t bound = init + c.step * trips;
      if (c.exit == Exit::kNeParam) bound -= c.step;
      if (run % 4 == 3) bound = std::uniform_int_distribution<int64_t>(0, 200)(rng);
      std::vector<uint64_t> args = {0, 0, static_cast<uint32_t>(base),
                                    static_cast<uint32_t>(init),
                                    static_cast<uint32_t>(bound)};
      if (c.exit == Exit::kBrifInc) args[3] = static_cast<uint32_t>(-c.step * trips);
      const Execution before = Execute(c.f, args);
      if (!before.out.ok()) continue;  // Out of fuel: a loop that does not end.
      const Execution after = Execute(*reduced, args);
      ASSERT_TRUE(after.out.ok()) << after.out.status() << "\n"
                                  << ir::PrintFunction(c.f)
                                  << ir::PrintFunction(*reduced);
      ASSERT_EQ(*before.out, *after.out)
          << "seed " << seed << " base " << base << " init " << args[3]
          << " bound " << bound << "\n"
          << ir::PrintFunction(c.f) << ir::PrintFunction(*reduced);
      ASSERT_TRUE(before.heap == after.heap) << "seed " << seed;
      ++compared;
    }
  }
  // The generator must exercise the rewrite, not only the bail-outs.
  EXPECT_GT(changed, 400);
  EXPECT_GT(compared, 10000);
}

// A loop over a[i*12] with an ult exit test, entered by `entry`.
std::string Mul12Loop(const char* entry) {
  return absl::StrCat(R"(function %f(i64, i32, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32, v3: i32):
    )", entry, R"(
block1(v4: i32):
    v5 = imul_imm v4, 12
    v6 = iadd v1, v5
    v7 = heap_load.i32 v0, v6
    v8 = iadd_imm v4, 1
    v9 = icmp ult v8, v3
    brif v9, block1(v8), block2
block2:
    return v3
}
)");
}

// What the pass itself leaves (before dce): the representative address
// becomes the header parameter, the step follows the IV's increment.
TEST(StrengthReduceTest, DerivedIvShape) {
  EXPECT_EQ(RunPasses("strength_reduce", Mul12Loop("jump block1(v2)").c_str()),
            R"(function %f(i64, i32, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32, v3: i32):
    v10 = imul_imm v2, 12
    v11 = iadd v10, v1
    jump block1(v2, v11)
block1(v4: i32, v6: i32):
    v5 = imul_imm v4, 12
    v7 = heap_load.i32 v0, v6
    v8 = iadd_imm v4, 1
    v12 = iadd_imm v6, 12
    v9 = icmp ult v8, v3
    brif v9, block1(v8, v12), block2
block2:
    return v3
}
)");
}

// A loop entered by a brif (no preheader jump) is left alone.
TEST(StrengthReduceTest, NeedsAPreheaderJump) {
  const std::string text = Mul12Loop("brif v3, block1(v2), block2");
  EXPECT_EQ(RunPasses("strength_reduce", text.c_str()), text);
}

// Inside licm (the default pipeline): the preheader licm made for the
// brif entry (and would drop if nothing were hoisted) computes the derived
// IV's start and stays.
TEST(StrengthReduceTest, InsideLicmUsesItsPreheader) {
  auto f = ir::ParseFunction(Mul12Loop("brif v3, block1(v2), block2"));
  ASSERT_TRUE(f.ok());
  PassManager pm(/*verify_each=*/true);
  pm.Add(std::make_unique<LicmPass>(/*reduce_strength=*/true));
  pm.Add(std::make_unique<DcePass>());
  ASSERT_TRUE(pm.Run(*f).ok()) << pm.Run(*f).message();
  EXPECT_EQ(ir::PrintFunction(*f), R"(function %f(i64, i32, i32, i32) -> i32 {
block0(v0: i64, v1: i32, v2: i32, v3: i32):
    brif v3, block3(v2), block2
block3(v10: i32):
    v11 = imul_imm v10, 12
    v12 = iadd v11, v1
    jump block1(v10, v12)
block1(v4: i32, v6: i32):
    v7 = heap_load.i32 v0, v6
    v8 = iadd_imm v4, 1
    v13 = iadd_imm v6, 12
    v9 = icmp ult v8, v3
    brif v9, block1(v8, v13), block2
block2:
    return v3
}
)");
}

}  // namespace
}  // namespace kiln::opt
