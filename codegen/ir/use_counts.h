// Use counts of values (instruction operands plus branch arguments) over
// the blocks in the layout. Lowering uses them to decide whether a value
// with one use can be folded into its user (an iconst into an immediate,
// an icmp into a conditional branch, a load into a memory operand).
#ifndef KILN_CODEGEN_IR_USE_COUNTS_H_
#define KILN_CODEGEN_IR_USE_COUNTS_H_

#include <cstdint>
#include <vector>

#include "codegen/ir/function.h"

namespace kiln::ir {

class UseCounts {
 public:
  UseCounts() = default;
  explicit UseCounts(const Function& f) { Compute(f); }
  void Compute(const Function& f);
  uint32_t count(Value v) const {
    return v.index < counts_.size() ? counts_[v.index] : 0;
  }

 private:
  std::vector<uint32_t> counts_;
};

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_USE_COUNTS_H_
