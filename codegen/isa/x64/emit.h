// Emission of allocated x64 VCode with asmjit's x86::Assembler: prologue
// (frame pointer, stack-limit check, callee-saved saves), instructions with
// the allocator's edits, out-of-line edge-move islands and trap islands,
// epilogues at returns; produces code bytes, trap table and relocations.
//
// Frame layout (rbp-relative):
//   [rbp + 16 ...]        incoming stack arguments
//   [rbp + 8]             return address
//   [rbp]                 caller's rbp
//   [rbp - 8*(k+1)]       callee-saved register k
//   [rbp - csr - 8*(s+1)] spill slot s
//   [rsp + ...]           outgoing stack arguments
// frame_size (rbp - rsp) is a multiple of 16, so calls see an aligned stack.
//
// Prologue: push rbp; mov rbp, rsp; sub rsp, frame_size; the stack-limit
// check (see CompileContext; uses r11, the reserved scratch register, and
// rdi, the callee VMContext, before anything else touches them); then
// callee-saved registers are stored. Epilogue: reload them; leave; ret.
#ifndef KILN_CODEGEN_ISA_X64_EMIT_H_
#define KILN_CODEGEN_ISA_X64_EMIT_H_

#include "absl/status/statusor.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/inst.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::isa::x64 {

absl::StatusOr<CompiledFunction> Emit(const MachFunction& f, const regalloc::Output& ra,
                                      const CompileContext& ctx);

// Allocates registers for `f` and emits it.
absl::StatusOr<CompiledFunction> AllocateAndEmit(const MachFunction& f,
                                                 const CompileContext& ctx);

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_EMIT_H_
