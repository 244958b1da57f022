#include "codegen/opt/split_critical_edges.h"

#include <vector>

namespace kiln::opt {

using ir::Block;
using ir::Inst;

bool SplitCriticalEdgesPass::Run(ir::Function& f) {
  // Incoming edge count per block (block calls, not distinct preds).
  std::vector<uint32_t> incoming(f.num_blocks(), 0);
  std::vector<Block> order;
  for (Block b : f.blocks()) {
    order.push_back(b);
    Inst t = f.last_inst(b);
    if (!t.valid() || !ir::IsBranch(f.opcode(t))) continue;
    for (const ir::BlockCall& bc : f.block_calls(t)) ++incoming[bc.block.index];
  }
  bool changed = false;
  for (Block b : order) {
    Inst t = f.last_inst(b);
    if (!t.valid() || !ir::IsBranch(f.opcode(t))) continue;
    const uint32_t n = f.block_calls(t).size();
    if (n < 2) continue;
    Block insert_after = b;
    for (uint32_t k = 0; k < n; ++k) {
      ir::BlockCall bc = f.block_calls(t)[k];
      if (incoming[bc.block.index] < 2) continue;
      Block e = f.CreateBlock();
      f.InsertBlockAfter(insert_after, e);
      insert_after = e;
      ir::BlockCallSpec spec{bc.block, f.List(bc.args)};
      // Copy: CreateInst appends to the pool the span points into.
      std::vector<ir::Value> args(spec.args.begin(), spec.args.end());
      spec.args = args;
      Inst j = f.CreateInst(ir::Opcode::kJump, ir::Type::kInvalid, {}, {&spec, 1});
      f.mutable_inst(j).srcloc = f.inst(t).srcloc;
      f.AppendInst(e, j);
      f.mutable_block_calls(t)[k] = ir::BlockCall{e, {}};
      changed = true;
    }
  }
  return changed;
}

}  // namespace kiln::opt
