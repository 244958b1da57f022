#include "codegen/ir/use_counts.h"

namespace kiln::ir {

void UseCounts::Compute(const Function& f) {
  counts_.assign(f.num_values(), 0);
  auto add = [&](Value v) {
    if (v.valid() && v.index < counts_.size()) ++counts_[v.index];
  };
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      for (Value v : f.args(i)) add(v);
      for (const BlockCall& bc : f.block_calls(i)) {
        for (Value v : f.List(bc.args)) add(v);
      }
    }
  }
}

}  // namespace kiln::ir
