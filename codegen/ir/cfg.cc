#include "codegen/ir/cfg.h"

#include <algorithm>

namespace kiln::ir {

void ControlFlowGraph::Compute(const Function& f) {
  const uint32_t n = f.num_blocks();
  // mark[s] == b: s already counted as a successor of b.
  std::vector<uint32_t> mark(n, ~0u);
  std::vector<uint32_t> succ_count(n + 1, 0), pred_count(n + 1, 0);
  auto for_each_succ = [&](Block b, auto&& fn) {
    Inst term = f.last_inst(b);
    if (!term.valid() || !IsBranch(f.opcode(term))) return;
    for (const BlockCall& bc : f.block_calls(term)) {
      if (!bc.block.valid() || bc.block.index >= n) continue;
      if (mark[bc.block.index] == b.index) continue;
      mark[bc.block.index] = b.index;
      fn(bc.block, term);
    }
  };
  for (Block b : f.blocks()) {
    for_each_succ(b, [&](Block s, Inst) {
      ++succ_count[b.index];
      ++pred_count[s.index];
    });
  }
  succ_start_.assign(n + 1, 0);
  pred_start_.assign(n + 1, 0);
  for (uint32_t i = 0; i < n; ++i) {
    succ_start_[i + 1] = succ_start_[i] + succ_count[i];
    pred_start_[i + 1] = pred_start_[i] + pred_count[i];
  }
  succs_.resize(succ_start_[n]);
  preds_.resize(pred_start_[n]);
  // Fill (reusing the counts as cursors), preds in layout order.
  std::fill(mark.begin(), mark.end(), ~0u);
  std::fill(succ_count.begin(), succ_count.end(), 0);
  std::fill(pred_count.begin(), pred_count.end(), 0);
  for (Block b : f.blocks()) {
    for_each_succ(b, [&](Block s, Inst term) {
      succs_[succ_start_[b.index] + succ_count[b.index]++] = s;
      preds_[pred_start_[s.index] + pred_count[s.index]++] = {b, term};
    });
  }
}

}  // namespace kiln::ir
