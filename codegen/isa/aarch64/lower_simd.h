// AArch64 lowering of the IR's typed vector instructions (codegen/ir/
// simd.h) to NEON (ARMv8.0 Advanced SIMD, always present). Called by
// lower.cc's Lowerer; returns kUnimplemented naming the instruction when
// an operation has no lowering.
#ifndef KILN_CODEGEN_ISA_AARCH64_LOWER_SIMD_H_
#define KILN_CODEGEN_ISA_AARCH64_LOWER_SIMD_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "codegen/ir/function.h"
#include "codegen/isa/aarch64/inst.h"

namespace kiln::isa::aarch64 {

// `vreg` maps an IR value to its virtual register (materializing
// constants); vconst and shuffle read their i64 lane constants from the IR.
absl::Status LowerSimd(Builder& b, const ir::Function& f, ir::Inst i,
                       absl::FunctionRef<VReg(ir::Value)> vreg);

}  // namespace kiln::isa::aarch64

#endif  // KILN_CODEGEN_ISA_AARCH64_LOWER_SIMD_H_
