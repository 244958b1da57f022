// Splits critical edges: an edge from a block with several outgoing edges
// to a block with several incoming edges gets a new block holding just
// "jump target(args)". Afterwards every edge either leaves a block with a
// single successor or enters a block with a single predecessor, so
// lowering and register allocation can place the moves for block
// arguments (and regalloc's fix-up moves) at the end of the source or the
// start of the target. Two calls of one branch to the same block count as
// two edges. Not in the default pipeline; the backend runs it last.
#ifndef KILN_CODEGEN_OPT_SPLIT_CRITICAL_EDGES_H_
#define KILN_CODEGEN_OPT_SPLIT_CRITICAL_EDGES_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class SplitCriticalEdgesPass : public Pass {
 public:
  absl::string_view name() const override { return "split_critical_edges"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_SPLIT_CRITICAL_EDGES_H_
