// Reference semantics of the IR's vector instructions (codegen/ir/simd.h),
// lane by lane; float lanes use eval.h's scalar semantics, so NaN results
// are the canonical NaN. Used by the interpreter.
#ifndef KILN_CODEGEN_IR_SIMD_EVAL_H_
#define KILN_CODEGEN_IR_SIMD_EVAL_H_

#include <cstdint>
#include <optional>

#include "codegen/ir/instructions.h"
#include "codegen/ir/types.h"

namespace kiln::ir {

// A v128 as two little-endian halves; scalars use `lo` (zero-extended).
struct Bits128 {
  uint64_t lo = 0;
  uint64_t hi = 0;
  friend bool operator==(const Bits128& a, const Bits128& b) {
    return a.lo == b.lo && a.hi == b.hi;
  }
};

// `op.shape args` with lane index `imm` and condition `code`; nullopt if
// `op` is not a vector operation.
std::optional<Bits128> EvaluateVector(Opcode op, Type shape, uint8_t code,
                                      int64_t imm, const Bits128* args,
                                      int num_args);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_SIMD_EVAL_H_
