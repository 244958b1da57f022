// x64 lowering of the IR's typed vector instructions (codegen/ir/simd.h) to
// SSE2/SSSE3/SSE4.1 (SSE4.2 for i64x2 ordered compares). Called by
// lower.cc's Lowerer; returns kUnimplemented when a needed CPU feature is
// missing or the operation has no lowering.
#ifndef KILN_CODEGEN_ISA_X64_LOWER_SIMD_H_
#define KILN_CODEGEN_ISA_X64_LOWER_SIMD_H_

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "codegen/ir/function.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/inst.h"

namespace kiln::isa::x64 {

// `vreg` maps an IR value to its virtual register (materializing
// constants).
absl::Status LowerSimd(Builder& b, const ir::Function& f, ir::Inst i,
                       const CompileContext& ctx,
                       absl::FunctionRef<VReg(ir::Value)> vreg);

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_LOWER_SIMD_H_
