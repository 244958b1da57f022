// Control flow graph analysis: predecessors and successors of each block.
//
// Derived from block terminators; recompute after changing control flow.
// Used by the verifier, the dominator tree, optimization passes and
// register allocation.
#ifndef KILN_CODEGEN_IR_CFG_H_
#define KILN_CODEGEN_IR_CFG_H_

#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

// An incoming edge: the predecessor block and its branch instruction.
struct BlockPredecessor {
  Block block;
  Inst inst;
};

class ControlFlowGraph {
 public:
  ControlFlowGraph() = default;
  explicit ControlFlowGraph(const Function& f) { Compute(f); }
  void Compute(const Function& f);

  // One entry per distinct (block, branch) edge source; a brif whose two
  // targets are the same block appears once.
  absl::Span<const BlockPredecessor> preds(Block b) const {
    return absl::MakeConstSpan(preds_.data() + pred_start_[b.index],
                               pred_start_[b.index + 1] - pred_start_[b.index]);
  }
  // Distinct successors in terminator order.
  absl::Span<const Block> succs(Block b) const {
    return absl::MakeConstSpan(succs_.data() + succ_start_[b.index],
                               succ_start_[b.index + 1] - succ_start_[b.index]);
  }
  uint32_t num_blocks() const {
    return succ_start_.empty() ? 0 : succ_start_.size() - 1;
  }

 private:
  // Compressed rows (offsets per block index, one flat array each): two
  // allocations per analysis instead of two per block.
  std::vector<uint32_t> pred_start_, succ_start_;
  std::vector<BlockPredecessor> preds_;
  std::vector<Block> succs_;
};

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_CFG_H_
