#include "codegen/ir/cfg.h"

#include <algorithm>

namespace kiln::ir {

void ControlFlowGraph::Compute(const Function& f) {
  preds_.assign(f.num_blocks(), {});
  succs_.assign(f.num_blocks(), {});
  for (Block b : f.blocks()) {
    Inst term = f.last_inst(b);
    if (!term.valid() || !IsBranch(f.opcode(term))) continue;
    auto& succ = succs_[b.index];
    for (const BlockCall& bc : f.block_calls(term)) {
      if (!bc.block.valid() || bc.block.index >= f.num_blocks()) continue;
      if (std::find(succ.begin(), succ.end(), bc.block) != succ.end()) continue;
      succ.push_back(bc.block);
      preds_[bc.block.index].push_back({b, term});
    }
  }
}

}  // namespace kiln::ir
