#include "codegen/opt/unreachable.h"

#include <vector>

namespace kiln::opt {

bool RemoveUnreachableBlocks(ir::Function& f) {
  // Plain DFS over terminators: cheaper than building the CFG and the
  // dominator tree, and every pass calls this.
  ir::Block entry = f.entry_block();
  if (!entry.valid()) return false;
  std::vector<uint8_t> seen(f.num_blocks(), 0);
  std::vector<ir::Block> work = {entry};
  seen[entry.index] = 1;
  while (!work.empty()) {
    ir::Block b = work.back();
    work.pop_back();
    ir::Inst t = f.last_inst(b);
    if (!t.valid() || !ir::IsBranch(f.opcode(t))) continue;
    for (const ir::BlockCall& bc : f.block_calls(t)) {
      if (bc.block.index < seen.size() && !seen[bc.block.index]) {
        seen[bc.block.index] = 1;
        work.push_back(bc.block);
      }
    }
  }
  std::vector<ir::Block> dead;
  for (ir::Block b : f.blocks()) {
    if (!seen[b.index]) dead.push_back(b);
  }
  for (ir::Block b : dead) f.RemoveBlock(b);
  return !dead.empty();
}

}  // namespace kiln::opt
