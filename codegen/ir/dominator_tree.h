// Dominator tree (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance
// Algorithm"), computed over the blocks reachable from the entry.
//
// Also provides the reverse post-order, which passes use as a
// definitions-before-uses iteration order.
#ifndef KILN_CODEGEN_IR_DOMINATOR_TREE_H_
#define KILN_CODEGEN_IR_DOMINATOR_TREE_H_

#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

class DominatorTree {
 public:
  DominatorTree() = default;
  DominatorTree(const Function& f, const ControlFlowGraph& cfg) {
    Compute(f, cfg);
  }
  void Compute(const Function& f, const ControlFlowGraph& cfg);

  bool IsReachable(Block b) const {
    return b.index < rpo_number_.size() && rpo_number_[b.index] != kUnreached;
  }
  // Immediate dominator; none for the entry and unreachable blocks.
  Block idom(Block b) const { return idom_[b.index]; }
  // Whether a dominates b (reflexive). False if either is unreachable.
  bool Dominates(Block a, Block b) const {
    if (!IsReachable(a) || !IsReachable(b)) return false;
    return pre_[a.index] <= pre_[b.index] && post_[b.index] <= post_[a.index];
  }
  bool StrictlyDominates(Block a, Block b) const {
    return a != b && Dominates(a, b);
  }
  // Reachable blocks in reverse post-order (entry first).
  absl::Span<const Block> rpo() const { return rpo_; }
  // Dominator tree children, in RPO order.
  absl::Span<const Block> children(Block b) const {
    return absl::MakeConstSpan(children_.data() + child_start_[b.index],
                               child_start_[b.index + 1] - child_start_[b.index]);
  }
  // Blocks in dominator-tree pre-order (entry first).
  absl::Span<const Block> preorder() const { return preorder_; }

 private:
  static constexpr uint32_t kUnreached = ~0u;
  std::vector<uint32_t> rpo_number_;
  std::vector<Block> rpo_;
  std::vector<Block> idom_;
  std::vector<uint32_t> child_start_;  // Compressed rows by block index.
  std::vector<Block> children_;
  std::vector<Block> preorder_;
  std::vector<uint32_t> pre_, post_;
};

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_DOMINATOR_TREE_H_
