// Removes redundant block parameters: a parameter whose incoming arguments
// are all the same value v (or the parameter itself, around a loop) is
// replaced by v everywhere. The builder's SSA construction adds a
// parameter for every variable read in an unsealed block (e.g. each wasm
// local read in a loop header); most of them are of this kind.
//
// Sound because such a v dominates the block: every path from the entry
// reaches the block first through an edge that passes v.
#ifndef KILN_CODEGEN_OPT_SIMPLIFY_PARAMS_H_
#define KILN_CODEGEN_OPT_SIMPLIFY_PARAMS_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class SimplifyParamsPass : public Pass {
 public:
  absl::string_view name() const override { return "simplify_params"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_SIMPLIFY_PARAMS_H_
