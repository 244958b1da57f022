// Constant folding with WebAssembly semantics.
//
// Replaces instructions whose operands are all constants by a constant,
// turns brif on a constant into jump, and drops trapz/trapnz that can never
// trap (or turns them into trap when they always do). Never folds an
// operation that would trap at run time (division by zero, INT_MIN / -1,
// out-of-range float-to-int): the trap must still happen. Float results
// that are NaN are not folded, since their payload is up to the hardware.
#ifndef KILN_CODEGEN_OPT_CONST_FOLD_H_
#define KILN_CODEGEN_OPT_CONST_FOLD_H_

#include <cstdint>
#include <optional>

#include "codegen/opt/pass.h"

namespace kiln::opt {

class ConstFoldPass : public Pass {
 public:
  absl::string_view name() const override { return "const_fold"; }
  bool Run(ir::Function& f) override;
};

// Folds one operation on constant operand bits (f32 in the low 32 bits).
// `arg_types` are the operand types, `ctrl` the controlling type.
// Returns nullopt if it cannot or must not be folded. Exposed for tests.
std::optional<uint64_t> FoldOperation(ir::Opcode op, ir::Type ctrl,
                                      ir::Type arg_type, uint8_t code,
                                      int64_t imm, const uint64_t* args,
                                      int num_args);

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_CONST_FOLD_H_
