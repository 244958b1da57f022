// Dead code elimination (mark and sweep over values, including block
// parameters).
//
// Removes unreachable blocks, instructions whose results are unused and
// that have no effect (no side effects, cannot trap; a load marked notrap
// counts as effect-free), and block parameters that feed only dead code,
// including loop-carried ones, together with the branch arguments that
// fed them. Entry block parameters are the signature and always stay.
#ifndef KILN_CODEGEN_OPT_DCE_H_
#define KILN_CODEGEN_OPT_DCE_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class DcePass : public Pass {
 public:
  absl::string_view name() const override { return "dce"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_DCE_H_
