// Natural loops, found from the dominator tree: an edge p -> h is a back
// edge when h dominates p; the loop of header h is h plus every block that
// reaches one of its back-edge sources without passing through h. Back
// edges to one header make one loop. Retreating edges into a block that does
// not dominate their source (irreducible control flow) form no loop.
//
// Recompute after changing control flow.
#ifndef KILN_CODEGEN_IR_LOOPS_H_
#define KILN_CODEGEN_IR_LOOPS_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

struct Loop {
  Block header;
  // The loop's blocks in reverse post-order (header first).
  std::vector<Block> blocks;
};

class LoopAnalysis {
 public:
  LoopAnalysis(const Function& f, const ControlFlowGraph& cfg,
               const DominatorTree& dt) {
    Compute(f, cfg, dt);
  }
  void Compute(const Function& f, const ControlFlowGraph& cfg,
               const DominatorTree& dt);
  // Innermost first: a loop nested in another comes before it (a nested
  // loop has fewer blocks than any loop containing it).
  absl::Span<const Loop> loops() const { return loops_; }
  // Whether `b` is the header of a natural loop.
  bool IsHeader(Block b) const {
    return b.index < is_header_.size() && is_header_[b.index];
  }

 private:
  std::vector<Loop> loops_;
  std::vector<uint8_t> is_header_;
};

// Whether some branch goes to its own block or one before it in the
// layout. A cycle cannot only go forward, so without such a branch there is
// no loop; the check is much cheaper than the dominator tree.
bool MayHaveLoop(const Function& f);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_LOOPS_H_
