#include "codegen/opt/unreachable.h"

#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"

namespace kiln::opt {

bool RemoveUnreachableBlocks(ir::Function& f) {
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  std::vector<ir::Block> dead;
  for (ir::Block b : f.blocks()) {
    if (!dt.IsReachable(b)) dead.push_back(b);
  }
  for (ir::Block b : dead) f.RemoveBlock(b);
  return !dead.empty();
}

}  // namespace kiln::opt
