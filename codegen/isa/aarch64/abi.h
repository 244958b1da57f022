// The AArch64 ABI object (isa::Abi): AAPCS64 with Kiln's additions, over
// the register tables in runtime/abi/aarch64/call_conv.h.
//
//  * Arguments 0 and 1 are the callee VMContext* and caller VMContext*
//    (ordinary i64 parameters of every IR function, in x0 and x1).
//  * Integer arguments in x0-x7, float arguments in v0-v7 (s/d), the rest
//    on the stack in 8-byte slots, left to right.
//  * One result in x0 or v0. With more than one result the caller passes a
//    return-area pointer as an extra last integer argument and the callee
//    stores result k at [ptr + 8*k]; nothing is returned in registers.
//  * x29/x30 form a frame record at the frame pointer (stp x29, x30,
//    [sp, #-16]!; mov x29, sp) so backtraces walk the x29 chain and find
//    return addresses at [x29 + 8]. Every prologue checks the stack limit
//    stored behind the callee VMContext.
//
// Register use: allocatable integer registers are x0-x15 (caller-saved,
// preferred) then x19-x28 (callee-saved, saved in the prologue when used).
// x16 (IP0) is the allocator's scratch register (move cycles), x17 (IP1)
// the emitter's temporary (large immediates and offsets, stack-to-stack
// moves, the prologue's stack-limit load); x18 (platform register) is never
// touched. Float values use v0-v7 and v16-v30; v31 is the float scratch.
// v8-v15 are not allocated: AAPCS64 makes their low halves callee-saved,
// and leaving them alone saves the prologue any float saves. A call
// clobbers every vector register, so a float or v128 value live across a
// call is spilled (v128 whole, in a 16-byte slot: only d8-d15's low halves
// would survive a call anyway).
#ifndef KILN_CODEGEN_ISA_AARCH64_ABI_H_
#define KILN_CODEGEN_ISA_AARCH64_ABI_H_

#include "codegen/isa/conv_abi.h"
#include "runtime/abi/aarch64/call_conv.h"

namespace kiln::isa::aarch64 {

using Abi = ConvAbi<abi::aarch64::CallConv>;

// The one AArch64 ABI object.
const Abi& Aarch64Abi();

}  // namespace kiln::isa::aarch64

#endif  // KILN_CODEGEN_ISA_AARCH64_ABI_H_
