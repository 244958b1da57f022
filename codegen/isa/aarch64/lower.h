// Lowering IR -> AArch64 VCode (instruction selection).
//
// Patterns:
//  * icmp/fcmp feeding brif, trapz/trapnz and select in the same block with
//    a single use are fused: cmp/fcmp + b.cond / csel / b.cond to a trap.
//  * iconst operands that fit an add/sub/cmp imm12 (either sign) fold into
//    the instruction; constant shift amounts become immediate shifts.
//  * heap_* addressing is [membase, index] (index is an i32 whose upper
//    half is zero), the offset added to the index first in x17.
//  * Division: explicit checks (cbz for a zero divisor, cmn + ccmp + b.vs
//    for INT_MIN / -1); constant divisors skip what they cannot need.
//  * Float->int conversions: fcmp-based NaN and range checks before
//    fcvtzs/fcvtzu (trapping), fcvtzs/fcvtzu alone (saturating); fmin/fmax
//    map to the instructions (they have wasm's NaN and -0 semantics).
//  * Pure instructions whose results are unused are dropped.
//  * v128 values (float class, v registers) and the IR's vector rows:
//    lower_simd.h (NEON); v128 select is csetm + dup + bsl.
//
// Invariant (as on x86-64): an i32 value in a 64-bit register has its upper
// 32 bits zero (every w-register operation guarantees it; incoming i32
// parameters and call results are zero-extended explicitly), so uextend is
// a move and i32 heap indices are 64-bit index registers directly.
#ifndef KILN_CODEGEN_ISA_AARCH64_LOWER_H_
#define KILN_CODEGEN_ISA_AARCH64_LOWER_H_

#include <string>

#include "absl/status/statusor.h"
#include "codegen/ir/function.h"
#include "codegen/isa/aarch64/inst.h"
#include "codegen/isa/backend.h"

namespace kiln::isa::aarch64 {

absl::StatusOr<MachFunction> Lower(const ir::Function& f, const CompileContext& ctx);

// Text listing of a lowered function (before register allocation).
std::string PrintMachFunction(const MachFunction& f);

}  // namespace kiln::isa::aarch64

#endif  // KILN_CODEGEN_ISA_AARCH64_LOWER_H_
