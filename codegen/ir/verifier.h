// IR verifier: structure, types and SSA dominance.
//
// Checks that every block ends in exactly one terminator, operand and
// result types follow the opcode table, branch arguments match the target
// block's parameters, the entry block's parameters match the signature,
// and every use of a value is dominated by its definition. Returns the
// first problem found, naming the block and instruction:
//   "block1: v4 = iadd v2, v3: operand v3 has type i64, expected i32"
#ifndef KILN_CODEGEN_IR_VERIFIER_H_
#define KILN_CODEGEN_IR_VERIFIER_H_

#include "absl/status/status.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

absl::Status VerifyFunction(const Function& f);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_VERIFIER_H_
