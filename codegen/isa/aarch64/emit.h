// Emission of allocated AArch64 VCode with asmjit's a64::Assembler:
// prologue (frame record, stack-limit check, callee-saved saves),
// instructions with the allocator's edits, out-of-line edge-move islands
// and trap islands (udf), epilogues at returns; produces code bytes, trap
// table and relocations.
//
// Frame layout:
//   [x29 + 16 ...]           incoming stack arguments
//   [x29 + 8]                x30 (return address)
//   [x29]                    caller's x29 (the frame chain)
//   [sp + out + 8*nslots + 8*k]  callee-saved register k
//   [sp + out + 8*s]         spill slot s
//   [sp + 0 .. out)          outgoing stack arguments (and return areas)
// frame_size (x29 - sp) is a multiple of 16 (AAPCS64 keeps sp 16-aligned).
//
// Prologue: stp x29, x30, [sp, #-16]!; mov x29, sp; sub sp, sp, #frame;
// the stack-limit check (see CompileContext; x16 and x17 are free here and
// x0 is the callee VMContext): ldr x16, [x0, #limits]; ldr x16, [x16,
// #field]; mov x17, sp; cmp x17, x16; b.lo <udf: StackOverflow>; then the
// callee-saved stores. Epilogue: reloads; mov sp, x29; ldp x29, x30,
// [sp], #16; ret.
#ifndef KILN_CODEGEN_ISA_AARCH64_EMIT_H_
#define KILN_CODEGEN_ISA_AARCH64_EMIT_H_

#include "absl/status/statusor.h"
#include "codegen/isa/aarch64/inst.h"
#include "codegen/isa/backend.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::isa::aarch64 {

absl::StatusOr<CompiledFunction> Emit(const MachFunction& f, const regalloc::Output& ra,
                                      const CompileContext& ctx);

// Allocates registers for `f` and emits it.
absl::StatusOr<CompiledFunction> AllocateAndEmit(const MachFunction& f,
                                                 const CompileContext& ctx);

}  // namespace kiln::isa::aarch64

#endif  // KILN_CODEGEN_ISA_AARCH64_EMIT_H_
