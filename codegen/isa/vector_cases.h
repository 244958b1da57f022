// Test support shared by the ISAs' SIMD tests (x64/lower_simd_test.cc,
// aarch64/lower_simd_test.cc): every IR vector row x every lane shape it
// takes x every condition code, as one small IR function per case whose
// machine code is run against the IR interpreter.
//
// Each case is a function (vmctx, vmctx, k) -> i64 that builds its
// operands with vconst / iconst (random and edge-case lanes) and returns 64
// bits of the result (lane k of it as i64x2 for vector results).
#ifndef KILN_CODEGEN_ISA_VECTOR_CASES_H_
#define KILN_CODEGEN_ISA_VECTOR_CASES_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "codegen/ir/instructions.h"
#include "codegen/ir/types.h"

namespace kiln::isa::testing {

struct VectorCaseKind {
  ir::Opcode op;
  ir::Type shape;
  int cc;  // IntCC / FloatCC for compares, else 0
};

// Every (op, shape, cc) combination, in opcode order.
std::vector<VectorCaseKind> AllVectorCaseKinds();

// The IR text of one random case of `kind`.
std::string VectorCase(const VectorCaseKind& kind, std::mt19937_64& rng);

// Whether 64 result bits of `kind` from the machine (`got`) match the
// interpreter's (`want`): equal, or NaN in both for each float lane (wasm
// leaves NaN bits open).
bool SameResultBits(const VectorCaseKind& kind, uint64_t got, uint64_t want);

}  // namespace kiln::isa::testing

#endif  // KILN_CODEGEN_ISA_VECTOR_CASES_H_
