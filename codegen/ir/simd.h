// The IR's `simd` instruction: one generic opcode for every 128-bit SIMD
// operation, named by its WebAssembly opcode (wasm/opcodes.def is the one
// table of SIMD operations; the IR opcode table has a single row for them).
//
//   v3 = simd.v128 i32x4.add v1, v2
//   v4 = simd.i32 i32x4.extract_lane 2, v3      ; lane index in `imm`
//   v5 = simd.v128 v128.const v6, v7            ; v6/v7: i64 low/high halves
//   v8 = simd.v128 i8x16.shuffle v1, v2, v9, v10 ; v9/v10: i64 lane bytes
//
// The controlling type is the result type; `InstData::ref` holds the
// wasm::Opcode, `imm` the lane index. Memory forms are the register half
// of the wasm operation, applied to an already loaded scalar:
// v128.load8x8_s (i64) -> v128, v128.load32_zero (i32), v128.load64_zero
// (i64), v128.loadN_splat (the zero-extended scalar, i32 or i64 for 64).
// v128.load/store are heap_load.v128 / heap_store; lane loads and stores
// are scalar heap accesses plus replace_lane / extract_lane.
#ifndef KILN_CODEGEN_IR_SIMD_H_
#define KILN_CODEGEN_IR_SIMD_H_

#include <cstdint>
#include <optional>

#include "codegen/ir/types.h"
#include "wasm/opcodes.h"

namespace kiln::ir {

struct SimdSig {
  int num_args = 0;
  Type args[4] = {};
  Type result = Type::kInvalid;
  int lanes = 0;  // lane-index bound (0 if no lane immediate)
};

// The IR signature of `op` in a `simd` instruction; nullopt if `op` is not
// a SIMD operation the IR carries.
std::optional<SimdSig> GetSimdSig(wasm::Opcode op);
// Parses a wasm SIMD opcode name ("i32x4.add").
std::optional<wasm::Opcode> ParseSimdOpcode(const char* name, size_t len);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_SIMD_H_
