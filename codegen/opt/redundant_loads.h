// Redundant-load elimination and store-to-load forwarding.
//
// Walks the dominator tree keeping the memory values known at each point:
// the results of loads and the values of stores, by exact location
// (codegen/opt/alias.h). A load of a known location (same region, base,
// index, offset, width, type and extension) is removed and its result
// replaced by the known value. A store forgets what it may overlap and
// records its own value; a call forgets every region. A block inherits
// what its immediate dominator knew at its end, minus the regions written
// by any block on a path between them (those paths include whole loops).
// Removing a load that may trap is safe: the access it repeats executed at
// the same address without trapping.
//
// Volatile loads (no region, e.g. the epoch counter) are never touched.
#ifndef KILN_CODEGEN_OPT_REDUNDANT_LOADS_H_
#define KILN_CODEGEN_OPT_REDUNDANT_LOADS_H_

#include "codegen/opt/pass.h"

namespace kiln::opt {

class RedundantLoadsPass : public Pass {
 public:
  absl::string_view name() const override { return "redundant_loads"; }
  bool Run(ir::Function& f) override;
};

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_REDUNDANT_LOADS_H_
