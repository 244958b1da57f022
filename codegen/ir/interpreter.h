// A reference interpreter for IR functions.
//
// Used by `test run` filetests (and unit tests) to check that optimization
// passes preserve behaviour, and later to check backends against it. Not
// a fast path: one switch per instruction.
//
// Values are held as uint64 bits (i32 and f32 zero-extended; v128 as two
// halves, vector instructions by simd_eval.h; v128 parameters, results and
// call operands are not supported). Heap
// accesses address `heap` at zext(index) + offset (the base operand is
// ignored) and trap with MemoryOutOfBounds past its end. Raw pointer
// load/store address `raw_memory` at pointer + offset (a simulated
// VMContext: pass 0 for vmctx arguments); outside it they are an error.
// Calls go to `call_handler`.
#ifndef KILN_CODEGEN_IR_INTERPRETER_H_
#define KILN_CODEGEN_IR_INTERPRETER_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

struct InterpOutcome {
  bool trapped = false;
  TrapCode trap = TrapCode::kUnreachableCodeReached;
  std::vector<uint64_t> results;
  friend bool operator==(const InterpOutcome& a, const InterpOutcome& b) {
    return a.trapped == b.trapped && (!a.trapped || a.trap == b.trap) &&
           a.results == b.results;
  }
};

struct InterpOptions {
  std::vector<uint8_t>* heap = nullptr;
  std::vector<uint8_t>* raw_memory = nullptr;
  // For call / call_indirect (args exclude call_indirect's code pointer).
  std::function<absl::StatusOr<InterpOutcome>(
      const Function& f, Inst call, absl::Span<const uint64_t> args)>
      call_handler;
  // Instruction budget; running out is an error (not a trap).
  uint64_t fuel = 10'000'000;
};

// Runs `f` on `args` (one per signature parameter). Errors are for things
// the interpreter cannot do (unsupported instructions, no fuel, bad input);
// wasm traps are an outcome.
absl::StatusOr<InterpOutcome> Interpret(const Function& f,
                                        absl::Span<const uint64_t> args,
                                        const InterpOptions& options = {});

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_INTERPRETER_H_
