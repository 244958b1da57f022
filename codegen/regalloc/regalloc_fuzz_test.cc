// Randomized regalloc test: random CFGs with block parameters, fixed
// registers, early defs, tied operands and clobbering calls, allocated
// with few registers (forcing spills) and verified by CheckAllocation.
#include <cstdlib>
#include <random>
#include <vector>

#include "codegen/isa/vcode.h"
#include "codegen/regalloc/regalloc.h"
#include "gtest/gtest.h"

namespace kiln::regalloc {
namespace {

using isa::Operand;
using isa::PReg;
using isa::RegClass;
using isa::RegSet;
using isa::VCode;
using isa::VReg;

MachineEnv SmallEnv(int num_int, int num_float) {
  MachineEnv env;
  for (int i = 0; i < num_int; ++i) env.allocatable[0].push_back(PReg::Int(i));
  for (int i = 0; i < num_float; ++i) env.allocatable[1].push_back(PReg::Float(i));
  env.scratch[0] = PReg::Int(15);
  env.scratch[1] = PReg::Float(15);
  return env;
}

class Gen {
 public:
  Gen(uint32_t seed, int num_int, int num_float)
      : rng_(seed), num_int_(num_int), num_float_(num_float) {}

  int Rand(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  VCode Make() {
    VCode c;
    const int nb = 1 + Rand(7);
    const int k = 1 + Rand(5);  // params per non-entry block
    std::vector<RegClass> param_cls(k);
    for (int j = 0; j < k; ++j) param_cls[j] = Rand(3) == 0 ? RegClass::kFloat : RegClass::kInt;
    c.DeclareBlocks(nb);
    std::vector<std::vector<VReg>> params(nb);
    for (int b = 1; b < nb; ++b) {
      for (int j = 0; j < k; ++j) {
        VReg p = c.NewVReg(param_cls[j]);
        params[b].push_back(p);
        c.AddBlockParam(b, p);
      }
    }
    for (int b = 0; b < nb; ++b) {
      c.StartBlock(b);
      std::vector<VReg> avail = params[b];
      if (b == 0) {
        for (int j = 0; j < k; ++j) {
          VReg v = c.NewVReg(param_cls[j]);
          avail.push_back(v);
          c.AddInst({Operand::Def(v)});
        }
      }
      const int ninsts = Rand(12);
      for (int n = 0; n < ninsts; ++n) AddRandomInst(c, avail);
      // Terminator.
      auto pick_args = [&](std::vector<VReg>* args) {
        for (int j = 0; j < k; ++j) {
          std::vector<VReg> same;
          for (VReg v : avail) {
            if (c.vreg_class(v) == param_cls[j]) same.push_back(v);
          }
          if (same.empty()) {
            VReg v = c.NewVReg(param_cls[j]);
            c.AddInst({Operand::Def(v)});
            avail.push_back(v);
            same.push_back(v);
          }
          args->push_back(same[Rand(same.size())]);
        }
      };
      const int kind = nb == 1 ? 0 : Rand(4);
      if (kind == 0 || (b == nb - 1 && Rand(2) == 0)) {
        std::vector<Operand> uses;
        VReg v = avail[Rand(avail.size())];
        uses.push_back(Operand::Use(v).Fixed(c.vreg_class(v) == RegClass::kInt
                                                 ? PReg::Int(0)
                                                 : PReg::Float(0)));
        c.AddInst(uses, VCode::kIsTerminator);
      } else if (kind == 1) {
        std::vector<VReg> args;
        pick_args(&args);
        c.AddInst({}, VCode::kIsTerminator);
        c.AddEdge(1 + Rand(nb - 1), args);
      } else {
        std::vector<VReg> a1, a2;
        pick_args(&a1);
        pick_args(&a2);
        VReg cond = avail[Rand(avail.size())];
        c.AddInst({Operand::Use(cond)}, VCode::kIsTerminator);
        c.AddEdge(1 + Rand(nb - 1), a1);
        c.AddEdge(1 + Rand(nb - 1), a2);
      }
      c.EndBlock();
    }
    return c;
  }

 private:
  void AddRandomInst(VCode& c, std::vector<VReg>& avail) {
    auto pick = [&](RegClass cls) -> VReg {
      std::vector<VReg> same;
      for (VReg v : avail) {
        if (c.vreg_class(v) == cls) same.push_back(v);
      }
      if (same.empty()) return isa::kInvalidVReg;
      return same[Rand(same.size())];
    };
    const RegClass cls = Rand(3) == 0 ? RegClass::kFloat : RegClass::kInt;
    const int nregs = cls == RegClass::kInt ? num_int_ : num_float_;
    auto fixed_reg = [&](int i) { return cls == RegClass::kInt ? PReg::Int(i) : PReg::Float(i); };
    switch (Rand(7)) {
      case 0: {  // def only (constant)
        VReg v = c.NewVReg(cls);
        c.AddInst({Operand::Def(v)});
        avail.push_back(v);
        break;
      }
      case 1: {  // binary op: use, use -> def
        VReg a = pick(cls), b = pick(cls);
        if (a == isa::kInvalidVReg) return;
        VReg d = c.NewVReg(cls);
        c.AddInst({Operand::Use(a), Operand::Use(b), Operand::Def(d)});
        avail.push_back(d);
        break;
      }
      case 2: {  // two-address: d = copy(a); d op= b
        VReg a = pick(cls), b = pick(cls);
        if (a == isa::kInvalidVReg) return;
        VReg d = c.NewVReg(cls);
        c.AddInst({Operand::Use(a), Operand::Def(d)}, VCode::kIsMove);
        c.AddInst({Operand::Mod(d), Operand::Use(b)});
        avail.push_back(d);
        break;
      }
      case 3: {  // fixed use + fixed def (like a shift count / division)
        VReg a = pick(cls), b = pick(cls);
        if (a == isa::kInvalidVReg) return;
        VReg d = c.NewVReg(cls);
        const int r = Rand(nregs);
        c.AddInst({Operand::Use(a).Fixed(fixed_reg(r)), Operand::Use(b),
                   Operand::Def(d).Fixed(fixed_reg(Rand(nregs)))});
        avail.push_back(d);
        break;
      }
      case 4: {  // early def with a use
        VReg a = pick(cls);
        if (a == isa::kInvalidVReg) return;
        VReg d = c.NewVReg(cls);
        c.AddInst({Operand::Use(a), Operand::EarlyDef(d)});
        avail.push_back(d);
        break;
      }
      case 5: {  // call: fixed args, fixed result, clobbers everything
        VReg a = pick(RegClass::kInt);
        if (a == isa::kInvalidVReg) return;
        VReg r = c.NewVReg(RegClass::kInt);
        RegSet clobbers;
        for (int i = 0; i < num_int_; ++i) clobbers.Add(PReg::Int(i));
        for (int i = 0; i < num_float_; ++i) clobbers.Add(PReg::Float(i));
        if (num_int_ > 2 && Rand(2)) clobbers.Remove(PReg::Int(num_int_ - 1));  // callee-saved
        c.AddInst({Operand::Use(a).Fixed(PReg::Int(1)), Operand::Def(r).Fixed(PReg::Int(0))},
                  VCode::kIsCall, clobbers);
        avail.push_back(r);
        break;
      }
      case 6: {  // late use (stays live through the def)
        VReg a = pick(cls);
        if (a == isa::kInvalidVReg) return;
        VReg d = c.NewVReg(cls);
        c.AddInst({Operand::LateUse(a), Operand::Def(d)});
        avail.push_back(d);
        break;
      }
    }
  }

  std::mt19937 rng_;
  int num_int_, num_float_;
};

TEST(RegallocFuzzTest, RandomFunctionsAllocateAndCheck) {
  int spilled = 0;
  // KILN_FUZZ_ITERS=N runs more seeds.
  const char* iters_env = std::getenv("KILN_FUZZ_ITERS");
  const uint32_t iters = iters_env ? static_cast<uint32_t>(std::atoi(iters_env)) : 3000;
  for (uint32_t seed = 1; seed <= iters; ++seed) {
    const int num_int = 3 + static_cast<int>(seed % 4);
    const int num_float = 2 + static_cast<int>(seed % 3);
    Gen gen(seed, num_int, num_float);
    VCode c = gen.Make();
    MachineEnv env = SmallEnv(num_int, num_float);
    absl::StatusOr<Output> out = Allocate(c, env);
    ASSERT_TRUE(out.ok()) << "seed " << seed << ": " << out.status();
    absl::Status st = CheckAllocation(c, env, *out);
    ASSERT_TRUE(st.ok()) << "seed " << seed << ": " << st << "\n" << DumpAllocation(c, *out);
    spilled += out->num_spill_slots > 0;
  }
  EXPECT_GT(spilled, 100);
}

}  // namespace
}  // namespace kiln::regalloc

namespace kiln::regalloc {
namespace {

TEST(ParallelMoveFuzzTest, RandomParallelMovesMatchSimultaneousSemantics) {
  std::mt19937 rng(42);
  const isa::PReg scratch[2] = {PReg::Int(15), PReg::Float(15)};
  for (int iter = 0; iter < 20000; ++iter) {
    // Locations: int registers 0..7 and stack slots 0..7 (keys 0..15).
    auto loc = [](int k) {
      return k < 8 ? isa::Allocation::Reg(PReg::Int(k)) : isa::Allocation::Stack(k - 8);
    };
    const int n = 1 + static_cast<int>(rng() % 16);
    std::vector<int> dsts(16);
    for (int k = 0; k < 16; ++k) dsts[k] = k;
    std::shuffle(dsts.begin(), dsts.end(), rng);
    std::vector<Move> moves;
    for (int k = 0; k < n; ++k) {
      moves.push_back(Move{loc(static_cast<int>(rng() % 16)), loc(dsts[k]), RegClass::kInt});
    }
    // Expected: every destination gets the old value of its source.
    int state[17];
    for (int k = 0; k < 16; ++k) state[k] = 100 + k;
    state[16] = -1;  // scratch
    int expected[16];
    for (int k = 0; k < 16; ++k) expected[k] = state[k];
    auto key = [](isa::Allocation a) {
      if (a.is_reg()) return a.reg().index() == 15 ? 16 : a.reg().index();
      return 8 + static_cast<int>(a.slot());
    };
    for (const Move& m : moves) expected[key(m.to)] = state[key(m.from)];
    std::vector<Move> seq;
    std::vector<Move> work = moves;
    SequentializeMoves(work, scratch, &seq);
    for (const Move& m : seq) state[key(m.to)] = state[key(m.from)];
    for (int k = 0; k < 16; ++k) {
      ASSERT_EQ(state[k], expected[k]) << "iteration " << iter << " location " << k;
    }
  }
}

}  // namespace
}  // namespace kiln::regalloc
