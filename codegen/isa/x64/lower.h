// Lowering IR -> x64 VCode (instruction selection).
//
// Patterns:
//  * icmp/fcmp feeding brif, trapz/trapnz (and icmp feeding select) in the
//    same block with a single use are fused: cmp + jcc / cmov / trap_if.
//  * iconst operands that fit a sign-extended imm32 fold into cmp, ALU ops,
//    shifts and stores.
//  * iadd: lea for three-operand adds (when the operands stay live: other
//    uses, or defined in another block, e.g. loop-invariant) and for
//    iadd(x, ishl_imm(y, 1..3)) or iadd(x, ishl(y, iconst 1..3)) ->
//    lea [x + y*scale] (32-bit lea for i32: wraps like i32.add); iadd_imm
//    -> add or lea [x + imm]. Commutative two-address ops copy the operand
//    that dies.
//  * heap_load of the operation's own width with a single use in the same
//    block, and no trapping or side-effecting instruction in between, folds
//    into the ALU / SSE operation as a memory operand.
//  * heap_* addressing is one [base + index + offset] mode (index is an i32
//    whose upper half is zero; offsets above INT32_MAX go through a temp).
//  * Division: sdiv/srem check for a -1 divisor in line (INT_MIN / -1 traps
//    IntegerOverflow via neg+jo; srem gives 0); a zero divisor faults in
//    div/idiv (#DE -> SIGFPE) and the trap table maps that instruction to
//    IntegerDivisionByZero. Constant divisors other than -1 skip the check;
//    udiv / urem by a nonzero constant and sdiv / srem by a constant other
//    than 0 and -1 never divide (shifts, or a multiply by a magic reciprocal).
//  * With BMI1 / BMI2: shlx / shrx / sarx, rorx, andn, blsr / blsi.
//  * A compare against 0 right after the ALU op that computed its operand
//    is left out by the emitter (emit.cc, ElideCompare).
//  * fcvt_to_* use the checked/saturating sequences of the emitter; fmin/
//    fmax the ucomis-based wasm NaN/-0 sequence; floor/ceil/trunc/nearest
//    need SSE4.1 (roundss/sd; kUnimplemented without it).
//  * Pure instructions whose results are unused are dropped.
//
// Invariant: an i32 value in a 64-bit register has its upper 32 bits zero
// (every 32-bit x86 operation guarantees it; call results and incoming i32
// parameters are zero-extended explicitly), so uextend is a plain move and
// i32 heap indices are used as 64-bit index registers directly.
#ifndef KILN_CODEGEN_ISA_X64_LOWER_H_
#define KILN_CODEGEN_ISA_X64_LOWER_H_

#include "absl/status/statusor.h"
#include "codegen/ir/function.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/inst.h"

namespace kiln::isa::x64 {

absl::StatusOr<MachFunction> Lower(const ir::Function& f, const CompileContext& ctx);

// Text listing of a lowered function (before register allocation).
std::string PrintMachFunction(const MachFunction& f);

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_LOWER_H_
