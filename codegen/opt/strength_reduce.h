// Strength reduction of address arithmetic and induction-variable
// simplification (linear-function test replacement).
//
// In each natural loop whose only entry is a `jump` from a preheader:
//
// - A basic induction variable (IV) is a header parameter p whose value on
//   every back edge is one instruction `p + C` (C a constant).
// - An address expression is a heap access's index that is affine in p:
//   e = s*p + b + o, with s and o constants and b a sum of at most two
//   loop-invariant values (built from iadd, iadd_imm, isub of a constant,
//   ishl/imul by a constant). It becomes a derived IV: a new header
//   parameter d, set to e's value at entry in the preheader and stepped by
//   s*C right after p's increment. All of it is modular arithmetic in the
//   value's width, exactly wasm's wrapping i32/i64 add, mul and shl, so no
//   overflow proof is needed.
// - Expressions that differ only in o share one derived IV; the others
//   become `iadd_imm d, o - o0`. The difference is never folded into the
//   access's offset immediate: a heap address is zext(index) + offset, and
//   zext(d + k) is not zext(d) + k when d + k wraps.
// - Linear-function test replacement: when p is left used only by its
//   increment and one exit test (`icmp eq|ne` of p or p + C with an
//   invariant bound X, or `brif p + C`), the test is rewritten over a
//   derived IV with an odd s, so p and its increment die (dce). Only eq/ne
//   and odd s: x -> s*x + b + o is a bijection modulo 2^width, so
//   p == X exactly when d == s*X + b + o, wrap or not. Ordered compares and
//   even s (a shift) are left alone.
//
// Only where it pays, by a count of the loop's instructions that die
// (a shift by 1..3 that an add takes as a lea scale counts as free) minus
// the one step add per derived IV, and with few new live values per loop
// (our register allocator does not split live ranges): at most
// kMaxDerivedIvs derived IVs and kMaxNewLive more values live across a
// loop than before; when the old IV stays alive, every derived IV must
// save an instruction per iteration by itself. Run after licm and gvn (invariants hoisted, equal
// expressions merged) and before dce, which removes what died.
//
// In the default pipeline it runs inside licm (LicmPass with
// reduce_strength), on licm's CFG, dominator tree and loops: computing them
// again cost more than the rewrite itself (~1.5% of compile time), and
// licm has just given every loop a preheader jump.
#ifndef KILN_CODEGEN_OPT_STRENGTH_REDUCE_H_
#define KILN_CODEGEN_OPT_STRENGTH_REDUCE_H_

#include "codegen/ir/cfg.h"
#include "codegen/ir/loops.h"
#include "codegen/opt/pass.h"

namespace kiln::opt {

// The rewrite on analyses the caller has (valid for f's current CFG; the
// pass adds no blocks or edges). Returns whether f changed.
bool ReduceStrength(ir::Function& f, const ir::ControlFlowGraph& cfg,
                    const ir::LoopAnalysis& loops);

class StrengthReducePass : public Pass {
 public:
  static constexpr int kMaxDerivedIvs = 4;
  static constexpr int kMaxNewLive = 2;

  absl::string_view name() const override { return "strength_reduce"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_STRENGTH_REDUCE_H_
