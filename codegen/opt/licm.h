// Loop-invariant code motion.
//
// For each natural loop (codegen/ir/loops.h), innermost first, moves
// instructions whose operands are all defined outside the loop into the
// loop's preheader (a block that jumps to the header and is its only
// predecessor outside the loop; one is created where missing, and removed
// again if nothing moves into it). Hoisted values chain: an instruction
// using only hoisted values moves too. Only blocks that run in every
// iteration (they dominate every back edge) give up code: hoisting from a
// conditional block could add work and a long live range for nothing.
//
// What moves: pure instructions that cost more than a register held across
// the loop (multiplies, divisions, float and vector operations, not
// one-cycle integer ops or compares: see IsCheap in licm.cc; constants only
// along with a user, the backends rematerialize them per block); loads
// that cannot fault whose location no store or call of the loop may write
// (codegen/opt/alias.h); and instructions that may trap (division, trapping
// conversions, heap loads) only from the header's prefix before its first
// instruction that stays and may trap or has side effects, because that
// prefix runs whenever the preheader does, so the same trap is taken at the
// same point. Volatile loads, stores, calls and conditional traps never
// move.
#ifndef KILN_CODEGEN_OPT_LICM_H_
#define KILN_CODEGEN_OPT_LICM_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class LicmPass : public Pass {
 public:
  // With reduce_strength, also runs strength reduction
  // (codegen/opt/strength_reduce.h) on the same loop analysis, after
  // hoisting (the default pipeline does).
  explicit LicmPass(bool reduce_strength = false)
      : reduce_strength_(reduce_strength) {}
  absl::string_view name() const override { return "licm"; }
  bool Run(ir::Function& f) override;

 private:
  bool reduce_strength_;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_LICM_H_
