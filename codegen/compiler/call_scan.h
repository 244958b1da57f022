// The direct calls of a function body, found without validating it.
//
// Inlining decisions (inline_plan.h) need only the call sites of every
// body; the validating decoder keeps an operand stack and control frames
// for that, which cost about as much as a third of translation. This walk
// only reads opcodes and skips their immediates (wasm/opcodes.def says
// which), a few instructions per byte.
//
// Calls in unreachable code are counted too (the translator drops them), so
// counts may be higher than the calls that exist in the IR, never lower.
#ifndef KILN_CODEGEN_COMPILER_CALL_SCAN_H_
#define KILN_CODEGEN_COMPILER_CALL_SCAN_H_

#include <cstdint>

#include "absl/functional/function_ref.h"
#include "absl/types/span.h"

namespace kiln::compiler {

struct BodyCalls {
  // A return_call_indirect is in the body.
  bool tail_call_indirect = false;
  // The body is malformed: the walk stopped there (the calls before it
  // were reported). Its translation reports the error.
  bool malformed = false;
};

// Calls on_call(callee, tail) for every `call` (tail = false) and
// `return_call` (tail = true) of `body` (a code section entry: locals,
// then instructions), in order.
BodyCalls ScanCalls(absl::Span<const uint8_t> body,
                    absl::FunctionRef<void(uint32_t callee, bool tail)> on_call);

}  // namespace kiln::compiler

#endif  // KILN_CODEGEN_COMPILER_CALL_SCAN_H_
