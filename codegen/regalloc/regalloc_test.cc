#include "codegen/regalloc/regalloc.h"

#include <vector>

#include "codegen/isa/vcode.h"
#include "gtest/gtest.h"

namespace kiln::regalloc {
namespace {

using isa::Allocation;
using isa::Operand;
using isa::PReg;
using isa::RegClass;
using isa::RegSet;
using isa::VCode;
using isa::VReg;

// A toy machine: 4 integer registers r0..r3 (r4 is scratch), 2 float.
MachineEnv ToyEnv(int num_int = 4) {
  MachineEnv env;
  for (int i = 0; i < num_int; ++i) env.allocatable[0].push_back(PReg::Int(i));
  env.allocatable[1] = {PReg::Float(0), PReg::Float(1)};
  env.scratch[0] = PReg::Int(15);
  env.scratch[1] = PReg::Float(15);
  return env;
}

Output AllocOk(const VCode& code, const MachineEnv& env) {
  absl::StatusOr<Output> out = Allocate(code, env);
  EXPECT_TRUE(out.ok()) << out.status();
  if (!out.ok()) return Output();
  absl::Status st = CheckAllocation(code, env, *out);
  EXPECT_TRUE(st.ok()) << st << "\n" << DumpAllocation(code, *out);
  return *std::move(out);
}

TEST(RegallocTest, InterferingValuesGetDistinctRegisters) {
  VCode c;
  VReg a = c.NewVReg(RegClass::kInt), b = c.NewVReg(RegClass::kInt),
       s = c.NewVReg(RegClass::kInt);
  c.DeclareBlocks(1);
  c.StartBlock(0);
  c.AddInst({Operand::Def(a)});
  c.AddInst({Operand::Def(b)});
  c.AddInst({Operand::Use(a), Operand::Use(b), Operand::Def(s)});
  c.AddInst({Operand::Use(s).Fixed(PReg::Int(0))}, VCode::kIsTerminator);
  c.EndBlock();
  Output out = AllocOk(c, ToyEnv());
  EXPECT_NE(out.allocs[0], out.allocs[1]);
  EXPECT_EQ(out.num_spill_slots, 0u);
  // The result is defined straight into its fixed return register (hint).
  EXPECT_EQ(out.allocs[4], Allocation::Reg(PReg::Int(0)));
  EXPECT_TRUE(out.edits.empty());
}

TEST(RegallocTest, SpillsUnderPressure) {
  VCode c;
  std::vector<VReg> v;
  for (int i = 0; i < 8; ++i) v.push_back(c.NewVReg(RegClass::kInt));
  c.DeclareBlocks(1);
  c.StartBlock(0);
  for (int i = 0; i < 8; ++i) c.AddInst({Operand::Def(v[i])});
  VReg acc = v[0];
  for (int i = 1; i < 8; ++i) {
    VReg n = c.NewVReg(RegClass::kInt);
    c.AddInst({Operand::Use(acc), Operand::Use(v[i]), Operand::Def(n)});
    acc = n;
  }
  c.AddInst({Operand::Use(acc).Fixed(PReg::Int(0))}, VCode::kIsTerminator);
  c.EndBlock();
  Output out = AllocOk(c, ToyEnv());
  EXPECT_GT(out.num_spill_slots, 0u);
  EXPECT_GE(out.num_passes, 2u);
}

TEST(RegallocTest, ParallelMoveCycleOnEdge) {
  VCode c;
  VReg a = c.NewVReg(RegClass::kInt), b = c.NewVReg(RegClass::kInt);
  VReg p = c.NewVReg(RegClass::kInt), q = c.NewVReg(RegClass::kInt);
  c.DeclareBlocks(2);
  c.AddBlockParam(1, p);
  c.AddBlockParam(1, q);
  c.StartBlock(0);
  c.AddInst({Operand::Def(a).Fixed(PReg::Int(0)), Operand::Def(b).Fixed(PReg::Int(1))});
  c.AddInst({}, VCode::kIsTerminator);
  c.AddEdge(1, {b, a});  // swap
  c.EndBlock();
  c.StartBlock(1);
  c.AddInst({Operand::Use(p).Fixed(PReg::Int(0)), Operand::Use(q).Fixed(PReg::Int(1))},
            VCode::kIsTerminator);
  c.EndBlock();
  Output out = AllocOk(c, ToyEnv());
  bool used_scratch = false;
  for (const Edit& e : out.edits) {
    if (e.move.to == Allocation::Reg(PReg::Int(15))) used_scratch = true;
  }
  EXPECT_TRUE(used_scratch) << DumpAllocation(c, out);
}

TEST(RegallocTest, SequentializeThreeCycleAndFanOut) {
  const PReg scratch[2] = {PReg::Int(15), PReg::Float(15)};
  auto r = [](int i) { return Allocation::Reg(PReg::Int(i)); };
  std::vector<Move> moves = {{r(0), r(1)}, {r(1), r(2)}, {r(2), r(0)}, {r(0), r(3)}};
  std::vector<Move> seq;
  SequentializeMoves(moves, scratch, &seq);
  // Simulate.
  int regs[16];
  for (int i = 0; i < 16; ++i) regs[i] = i * 10;
  for (const Move& m : seq) regs[m.to.reg().index()] = regs[m.from.reg().index()];
  EXPECT_EQ(regs[1], 0);
  EXPECT_EQ(regs[2], 10);
  EXPECT_EQ(regs[0], 20);
  EXPECT_EQ(regs[3], 0);
}

TEST(RegallocTest, CallClobbersForceCalleeSavedOrSpill) {
  VCode c;
  VReg a = c.NewVReg(RegClass::kInt), b = c.NewVReg(RegClass::kInt),
       r = c.NewVReg(RegClass::kInt), s = c.NewVReg(RegClass::kInt),
       t = c.NewVReg(RegClass::kInt);
  c.DeclareBlocks(1);
  c.StartBlock(0);
  c.AddInst({Operand::Def(a)});
  c.AddInst({Operand::Def(b)});
  // A call: argument in r0, result in r0, clobbers r0..r2.
  RegSet clobbers;
  for (int i = 0; i < 3; ++i) clobbers.Add(PReg::Int(i));
  c.AddInst({Operand::Use(a).Fixed(PReg::Int(0)), Operand::Def(r).Fixed(PReg::Int(0))},
            VCode::kIsCall, clobbers);
  c.AddInst({Operand::Use(a), Operand::Use(b), Operand::Def(s)});
  c.AddInst({Operand::Use(s), Operand::Use(r), Operand::Def(t)});
  c.AddInst({Operand::Use(t).Fixed(PReg::Int(0))}, VCode::kIsTerminator);
  c.EndBlock();
  Output out = AllocOk(c, ToyEnv());
  // Only r3 survives the call: one of a, b lives there, the other spills.
  EXPECT_EQ(out.num_spill_slots, 1u);
}

// b0: n = def (fixed r3); [z = n, a kHintSame instruction, if `zext`;]
//     s = def; jmp b1(z or n, s)
// b1(n1, s1): s2 = s1; s2 += n1; n2 = n1; n2 -= 1; br n2 ? b1(n2, s2) : b2(s2)
// b2(r): ret r (fixed r0)
struct SumLoop {
  VReg n, z, s, n1, s1, s2, n2, r;
};
SumLoop BuildSumLoop(VCode& c, bool zext) {
  auto I = [&] { return c.NewVReg(RegClass::kInt); };
  SumLoop l;
  l.n = I(), l.z = I(), l.s = I(), l.n1 = I(), l.s1 = I(), l.s2 = I(), l.n2 = I(), l.r = I();
  c.DeclareBlocks(3);
  c.AddBlockParam(1, l.n1);
  c.AddBlockParam(1, l.s1);
  c.AddBlockParam(2, l.r);
  c.StartBlock(0);
  c.AddInst({Operand::Def(l.n).Fixed(PReg::Int(3))});
  if (zext) c.AddInst({Operand::Use(l.n), Operand::Def(l.z)}, VCode::kHintSame);
  c.AddInst({Operand::Def(l.s)});
  c.AddInst({}, VCode::kIsTerminator);
  c.AddEdge(1, {zext ? l.z : l.n, l.s});
  c.EndBlock();
  c.StartBlock(1);
  c.AddInst({Operand::Use(l.s1), Operand::Def(l.s2)}, VCode::kIsMove);
  c.AddInst({Operand::Mod(l.s2), Operand::Use(l.n1)});
  c.AddInst({Operand::Use(l.n1), Operand::Def(l.n2)}, VCode::kIsMove);
  c.AddInst({Operand::Mod(l.n2)});
  c.AddInst({Operand::Use(l.n2)}, VCode::kIsTerminator);
  c.AddEdge(1, {l.n2, l.s2});
  c.AddEdge(2, {l.s2});
  c.EndBlock();
  c.StartBlock(2);
  c.AddInst({Operand::Use(l.r).Fixed(PReg::Int(0))}, VCode::kIsTerminator);
  c.EndBlock();
  return l;
}

TEST(RegallocTest, LoopWithBlockParams) {
  VCode c;
  BuildSumLoop(c, /*zext=*/false);
  Output out = AllocOk(c, ToyEnv());
  EXPECT_EQ(out.num_spill_slots, 0u);
  // With two registers only, the loop still allocates (with spills).
  Output tight = AllocOk(c, ToyEnv(2));
  (void)tight;
}

TEST(RegallocTest, LoopParamsCoalesceWithEntryAndBackEdgeValues) {
  // Every value of the loop can share one register with the values passed
  // to it on both edges (a loop parameter has two partners: the entry and
  // the back-edge argument), so no move is needed anywhere.
  VCode c;
  const SumLoop l = BuildSumLoop(c, /*zext=*/true);
  Output out = AllocOk(c, ToyEnv());
  EXPECT_EQ(out.num_spill_slots, 0u);
  // The kHintSame instruction (a zero-extension) works in place in the
  // argument register.
  EXPECT_EQ(out.allocs[2], Allocation::Reg(PReg::Int(3)));
  EXPECT_EQ(out.vreg_locs[l.z], out.vreg_locs[l.n1]);
  EXPECT_EQ(out.vreg_locs[l.n1], out.vreg_locs[l.n2]);
  EXPECT_EQ(out.vreg_locs[l.s], out.vreg_locs[l.s1]);
  EXPECT_EQ(out.vreg_locs[l.s1], out.vreg_locs[l.s2]);
  EXPECT_TRUE(out.edge_moves.empty()) << DumpAllocation(c, out);
  // s2 = s1 and n2 = n1 are coalesced: the allocator inserts no move.
  EXPECT_TRUE(out.edits.empty()) << DumpAllocation(c, out);
}

TEST(RegallocTest, CheckerCatchesWrongAllocation) {
  VCode c;
  VReg a = c.NewVReg(RegClass::kInt), b = c.NewVReg(RegClass::kInt);
  c.DeclareBlocks(1);
  c.StartBlock(0);
  c.AddInst({Operand::Def(a)});
  c.AddInst({Operand::Def(b)});
  c.AddInst({Operand::Use(a), Operand::Use(b)}, VCode::kIsTerminator);
  c.EndBlock();
  MachineEnv env = ToyEnv();
  absl::StatusOr<Output> out = Allocate(c, env);
  ASSERT_TRUE(out.ok());
  out->allocs[2] = out->allocs[1];  // read a from b's register
  EXPECT_FALSE(CheckAllocation(c, env, *out).ok());
}

TEST(RegallocTest, UseBeforeDefIsAnError) {
  VCode c;
  VReg a = c.NewVReg(RegClass::kInt);
  c.DeclareBlocks(1);
  c.StartBlock(0);
  c.AddInst({Operand::Use(a)}, VCode::kIsTerminator);
  c.EndBlock();
  EXPECT_FALSE(Allocate(c, ToyEnv()).ok());
}

}  // namespace
}  // namespace kiln::regalloc

namespace kiln::regalloc {
namespace {

TEST(RegallocTest, SpilledValueOnlyPassedOnEdge) {
  // v is defined, lives across a call that clobbers every float register,
  // then is passed twice on an edge: it is spilled and reaches the block
  // parameters from its slot.
  VCode c;
  VReg v = c.NewVReg(RegClass::kFloat), p = c.NewVReg(RegClass::kFloat),
       q = c.NewVReg(RegClass::kFloat);
  c.DeclareBlocks(2);
  c.AddBlockParam(1, p);
  c.AddBlockParam(1, q);
  c.StartBlock(0);
  c.AddInst({Operand::Def(v)});
  RegSet clobbers;
  clobbers.Add(PReg::Float(0));
  clobbers.Add(PReg::Float(1));
  c.AddInst({}, VCode::kIsCall, clobbers);
  c.AddInst({}, VCode::kIsTerminator);
  c.AddEdge(1, {v, v});
  c.EndBlock();
  c.StartBlock(1);
  c.AddInst({Operand::Use(p), Operand::Use(q)}, VCode::kIsTerminator);
  c.EndBlock();
  Output out = AllocOk(c, ToyEnv());
  EXPECT_EQ(out.num_spill_slots, 1u);
}

}  // namespace
}  // namespace kiln::regalloc
