// Reads the instructions of a function body without validating them.
//
// For cheap pre-passes over bodies that are validated elsewhere (the
// compiler's call-site count for inlining, the translator's loop-invariant
// locals): no operand stack, no control frames, no types, only opcodes and
// the immediates the opcode table (wasm/opcodes.def) says follow them, a few
// instructions per byte. Every read is bounds-checked; a malformed body
// stops the walk (malformed() is then true), it never reads out of range.
// Anything else a validator would reject (types, indexes out of range,
// unbalanced blocks) is the caller's to tolerate.
#ifndef KILN_WASM_INSTRUCTION_READER_H_
#define KILN_WASM_INSTRUCTION_READER_H_

#include <cstdint>

#include "absl/types/span.h"
#include "wasm/opcodes.h"

namespace kiln::wasm {

class InstructionReader {
 public:
  // `body` is a code section entry: the locals declarations, then the
  // instructions.
  explicit InstructionReader(absl::Span<const uint8_t> body)
      : p_(body.data()), end_(body.data() + body.size()) {}

  // Skips the locals declarations (call first, once); returns how many
  // locals they declare (saturated at UINT32_MAX), 0 if malformed.
  uint32_t ReadLocals();

  // The next instruction: its opcode and, for an immediate that is one
  // index or integer (function, local, global, label, block type...), its
  // value (0 for other kinds). False at the end of the body or when it is
  // malformed.
  bool Next(Opcode* op, uint64_t* imm);

  bool malformed() const { return !ok_; }
  // Every byte of the body has been read.
  bool at_end() const { return ok_ && p_ == end_; }

 private:
  uint8_t Byte();
  uint64_t Leb();
  void Skip(uint64_t n);
  void MemArg();

  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace kiln::wasm

#endif  // KILN_WASM_INSTRUCTION_READER_H_
