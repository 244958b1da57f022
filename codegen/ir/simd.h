// The IR's 128-bit vector operations: typed rows of opcodes.def
// (KILN_IR_VECTOR_OPCODE), as Cranelift's `iadd.i32x4`, `splat.i8x16`,
// `icmp.i64x2 sgt`, `shuffle`, `extractlane`, ...
//
//   v3 = iadd.i32x4 v1, v2
//   v4 = extractlane.i32x4 v3, 2            ; lane index in `imm`
//   v5 = icmp.i16x8 slt v1, v2              ; IntCC in `code`
//   v6 = vconst.v128 v7, v8                 ; v7/v8: i64 low/high halves
//   v9 = shuffle.i8x16 v1, v2, v10, v11     ; v10/v11: i64 lane bytes
//
// Every vector value has type v128; the controlling type (InstData::
// ctrl_type) is a lane shape (types.h) saying how the operands are read,
// or v128 for bitwise operations. Operand and result types follow from the
// row's signature string and the shape (VectorArgType, VectorResultType).
// Wasm memory forms are compositions: v128.load8x8_s is heap_load.i64 +
// scalar_to_vector.i64x2 + swiden_low.i8x16, load32_splat is
// heap_load.i32 + splat.i32x4, load_lane is a scalar load + insertlane.
#ifndef KILN_CODEGEN_IR_SIMD_H_
#define KILN_CODEGEN_IR_SIMD_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/types.h"

namespace kiln::ir {

// Sets of controlling types of a vector row (the Shapes column).
enum ShapeMask : uint8_t {
  kShapeV128 = 1 << 0,
  kShapeI8 = 1 << 1,
  kShapeI16 = 1 << 2,
  kShapeI32 = 1 << 3,
  kShapeI64 = 1 << 4,
  kShapeF32 = 1 << 5,
  kShapeF64 = 1 << 6,
  kShapeInts = kShapeI8 | kShapeI16 | kShapeI32 | kShapeI64,
  kShapeFloats = kShapeF32 | kShapeF64,
  kShapeLanes = kShapeInts | kShapeFloats,
};
// The ShapeMask bit of a controlling type (0 if it is not v128 or a shape).
uint8_t ShapeBit(Type shape);

inline bool IsVectorOp(Opcode op) {
  return GetOpcodeInfo(op).format == InstFormat::kVector;
}
// The vector row named `name` ("iadd" finds the vector iadd, not the
// scalar one); nullopt if there is none.
std::optional<Opcode> ParseVectorOpcode(absl::string_view name);
// The row's signature string ("v:vv", see opcodes.def).
absl::string_view VectorSignature(Opcode op);
uint8_t VectorShapes(Opcode op);
// Value operands and their types under `shape`.
int VectorNumArgs(Opcode op);
Type VectorArgType(Opcode op, Type shape, int k);
Type VectorResultType(Opcode op, Type shape);
// Immediates the text format carries.
bool VectorHasLane(Opcode op);   // 'n': InstData::imm
bool VectorHasIntCC(Opcode op);  // 'c': InstData::code
bool VectorHasFloatCC(Opcode op);  // 'f': InstData::code

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_SIMD_H_
