// Global value numbering over the dominator tree.
//
// An instruction that computes the same pure operation on the same
// operands as one in a dominating position is removed and its result
// replaced by the earlier one. Trapping arithmetic (sdiv, fcvt_to_sint)
// qualifies too: if the dominating copy did not trap, this one cannot.
// Calls, side effects and memory reads never merge, except raw loads
// marked both readonly and notrap (VMContext fields). Commutative integer
// operations are matched with their operands in either order.
#ifndef KILN_CODEGEN_OPT_GVN_H_
#define KILN_CODEGEN_OPT_GVN_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class GvnPass : public Pass {
 public:
  absl::string_view name() const override { return "gvn"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_GVN_H_
