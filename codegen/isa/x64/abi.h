// The x86-64 calling convention Kiln's compiled code uses, and the register
// environment handed to the allocator.
//
// System V AMD64 with Kiln's additions:
//  * Arguments 0 and 1 are the callee VMContext* and caller VMContext*
//    (ordinary i64 parameters of every IR function, in rdi and rsi).
//  * Integer arguments in rdi, rsi, rdx, rcx, r8, r9; float arguments in
//    xmm0-7; the rest on the stack in 8-byte slots, left to right.
//  * One result in rax or xmm0. With more than one result the caller passes
//    a return-area pointer as an extra last integer argument and the callee
//    stores result k at [ptr + 8*k]; nothing is returned in registers.
//  * rbp is always the frame pointer (push rbp; mov rbp, rsp) so
//    backtraces can walk the rbp chain. Every prologue checks the stack
//    limit stored in the callee VMContext (cmp rsp, [rdi + off]; jb trap).
//
// Register use: allocatable int registers are rax rcx rdx rsi rdi r8-r10
// (caller-saved, preferred) then rbx r12-r15 (callee-saved, saved in the
// prologue when used). r11 and xmm15 are reserved as scratch registers for
// move resolution (cycles). r15 is NOT pinned to the VMContext: the
// VMContext is an ordinary SSA value that the allocator keeps in a
// callee-saved register or spills when it is live across calls; pinning
// would cost a register in every function for a benefit only in
// memory-heavy loops, where the value is in a register anyway.
#ifndef KILN_CODEGEN_ISA_X64_ABI_H_
#define KILN_CODEGEN_ISA_X64_ABI_H_

#include "codegen/isa/reg.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::isa::x64 {

inline constexpr int kIntArgRegs[] = {7, 6, 2, 1, 8, 9};  // rdi rsi rdx rcx r8 r9
inline constexpr int kNumIntArgRegs = 6;
inline constexpr int kNumFloatArgRegs = 8;  // xmm0-7

const regalloc::MachineEnv& MachineEnv();
// Registers a call clobbers (all caller-saved registers).
RegSet CallClobbers();
RegSet CalleeSaved();

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_ABI_H_
