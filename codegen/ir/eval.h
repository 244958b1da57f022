// Reference semantics of the IR's pure and trapping value operations
// (WebAssembly semantics), shared by constant folding and the interpreter.
#ifndef KILN_CODEGEN_IR_EVAL_H_
#define KILN_CODEGEN_IR_EVAL_H_

#include <cstdint>

#include "codegen/ir/instructions.h"
#include "codegen/ir/types.h"

namespace kiln::ir {

struct EvalResult {
  enum Kind : uint8_t { kValue, kTrap, kUnsupported };
  Kind kind = kUnsupported;
  uint64_t bits = 0;  // The result: f32 in the low 32 bits, i32 zero-extended.
  TrapCode trap = TrapCode::kUnreachableCodeReached;
};

inline constexpr uint32_t kCanonicalNanF32 = 0x7fc00000u;
inline constexpr uint64_t kCanonicalNanF64 = 0x7ff8000000000000ull;

// Evaluates `op` (formats Unary, Binary, BinaryImm, Ternary, IntCompare,
// FloatCompare) on operand bits. `ctrl` is the controlling type (for
// conversions the result type), `arg_type` the type of the first value
// operand (of the second for select), `code` the IntCC/FloatCC, `imm` the
// BinaryImm immediate. Arithmetic that yields NaN yields the canonical
// NaN; fneg/fabs/fcopysign/bitcast are exact bit operations.
EvalResult Evaluate(Opcode op, Type ctrl, Type arg_type, uint8_t code,
                    int64_t imm, const uint64_t* args, int num_args);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_EVAL_H_
