// Control-flow cleanup:
//  - a brif whose two targets are the same block with the same arguments
//    becomes a jump;
//  - branches to a forwarding block (no instructions but
//    "jump T(args)") go straight to T, with the forwarding block's
//    parameters substituted in the arguments (a br_table only when T takes
//    no parameters);
//  - a block whose single predecessor ends in an unconditional jump to it
//    is merged into that predecessor (its parameters become the jump's
//    arguments).
// Then unreachable blocks are removed. Fewer, larger blocks help GVN,
// lowering (no jumps to jumps) and register allocation.
#ifndef KILN_CODEGEN_OPT_SIMPLIFY_CFG_H_
#define KILN_CODEGEN_OPT_SIMPLIFY_CFG_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class SimplifyCfgPass : public Pass {
 public:
  absl::string_view name() const override { return "simplify_cfg"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_SIMPLIFY_CFG_H_
