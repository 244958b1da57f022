// The x86-64 ABI object (isa::Abi): System V AMD64 with Kiln's additions,
// over the register tables in runtime/abi/x64/call_conv.h.
//
//  * Arguments 0 and 1 are the callee VMContext* and caller VMContext*
//    (ordinary i64 parameters of every IR function, in rdi and rsi).
//  * Integer arguments in rdi, rsi, rdx, rcx, r8, r9; float arguments in
//    xmm0-7; the rest on the stack in 8-byte slots, left to right.
//  * One result in rax or xmm0. With more than one result the caller passes
//    a return-area pointer as an extra last integer argument and the callee
//    stores the results there (abi::ReturnAreaOffsets: result k at 8*k
//    unless an earlier result is a v128, which takes 16 bytes); nothing is
//    returned in registers.
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

#include "codegen/isa/conv_abi.h"
#include "runtime/abi/x64/call_conv.h"

namespace kiln::isa::x64 {

using Abi = ConvAbi<abi::x64::CallConv>;

// The one x64 ABI object.
const Abi& X64Abi();

// Shorthands for X64Abi().machine_env() / CallClobbers() / CalleeSaved().
const regalloc::MachineEnv& MachineEnv();
RegSet CallClobbers();
RegSet CalleeSaved();

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_ABI_H_
