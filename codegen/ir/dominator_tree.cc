#include "codegen/ir/dominator_tree.h"

#include <utility>

#include "codegen/ir/reverse_postorder.h"

namespace kiln::ir {

void DominatorTree::Compute(const Function& f, const ControlFlowGraph& cfg) {
  const uint32_t n = f.num_blocks();
  rpo_number_.assign(n, kUnreached);
  rpo_.clear();
  idom_.assign(n, Block());
  child_start_.assign(n + 1, 0);
  children_.clear();
  preorder_.clear();
  pre_.assign(n, 0);
  post_.assign(n, 0);
  Block entry = f.entry_block();
  if (!entry.valid()) return;

  rpo_ = ReversePostorder(
      f, [&](Block b) { return cfg.succs(b).size(); },
      [&](Block b, uint32_t k) { return cfg.succs(b)[k]; });
  for (uint32_t i = 0; i < rpo_.size(); ++i) rpo_number_[rpo_[i].index] = i;

  // idom by RPO numbers; entry dominates itself during the iteration.
  std::vector<uint32_t> idom(n, kUnreached);
  idom[entry.index] = 0;
  auto intersect = [&](uint32_t a, uint32_t b) {
    while (a != b) {
      while (a > b) a = idom[rpo_[a].index];
      while (b > a) b = idom[rpo_[b].index];
    }
    return a;
  };
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t i = 1; i < rpo_.size(); ++i) {
      Block b = rpo_[i];
      uint32_t new_idom = kUnreached;
      for (const BlockPredecessor& p : cfg.preds(b)) {
        uint32_t pn = rpo_number_[p.block.index];
        if (pn == kUnreached || idom[p.block.index] == kUnreached) continue;
        new_idom = new_idom == kUnreached ? pn : intersect(pn, new_idom);
      }
      if (new_idom != idom[b.index]) {
        idom[b.index] = new_idom;
        changed = true;
      }
    }
  }
  std::vector<uint32_t> cursor(n + 1, 0);
  for (uint32_t i = 1; i < rpo_.size(); ++i) {
    Block b = rpo_[i];
    Block d = rpo_[idom[b.index]];
    idom_[b.index] = d;
    ++cursor[d.index];
  }
  for (uint32_t i = 0; i < n; ++i) {
    child_start_[i + 1] = child_start_[i] + cursor[i];
    cursor[i] = child_start_[i];
  }
  children_.resize(child_start_[n]);
  for (uint32_t i = 1; i < rpo_.size(); ++i) {  // RPO order within a node.
    Block b = rpo_[i];
    children_[cursor[idom_[b.index].index]++] = b;
  }

  // Pre/post numbering of the tree for O(1) Dominates.
  uint32_t counter = 0;
  std::vector<std::pair<Block, uint32_t>> st;
  st.push_back({entry, 0});
  pre_[entry.index] = counter++;
  preorder_.push_back(entry);
  while (!st.empty()) {
    auto& [b, next] = st.back();
    auto kids = children(b);
    if (next < kids.size()) {
      Block c = kids[next++];
      pre_[c.index] = counter++;
      preorder_.push_back(c);
      st.push_back({c, 0});
    } else {
      post_[b.index] = counter++;
      st.pop_back();
    }
  }
}

}  // namespace kiln::ir
