// Value types of the IR.
//
// What a WebAssembly 2.0 translator needs: i32, i64, f32, f64, v128.
// Booleans are i32 0/1 (as in wasm), pointers are i64.
//
// i8x16 ... f64x2 are lane shapes, not value types: the controlling type of
// a vector instruction (`iadd.i32x4`, codegen/ir/simd.h) says how it reads
// its v128 operands. Every vector value has type v128, so wasm's untyped
// v128 locals, params and block arguments need no bitcasts.
#ifndef KILN_CODEGEN_IR_TYPES_H_
#define KILN_CODEGEN_IR_TYPES_H_

#include <cstdint>
#include <optional>
#include "absl/strings/string_view.h"

namespace kiln::ir {

enum class Type : uint8_t {
  kInvalid = 0,
  kI32,
  kI64,
  kF32,
  kF64,
  kV128,
  // Lane shapes (controlling types of vector instructions only).
  kI8X16,
  kI16X8,
  kI32X4,
  kI64X2,
  kF32X4,
  kF64X2,
};

inline constexpr Type kPointerType = Type::kI64;

inline constexpr bool IsInt(Type t) { return t == Type::kI32 || t == Type::kI64; }
inline constexpr bool IsFloat(Type t) {
  return t == Type::kF32 || t == Type::kF64;
}
inline constexpr int TypeBits(Type t) {
  switch (t) {
    case Type::kI32:
    case Type::kF32:
      return 32;
    case Type::kI64:
    case Type::kF64:
      return 64;
    case Type::kV128:
    case Type::kI8X16:
    case Type::kI16X8:
    case Type::kI32X4:
    case Type::kI64X2:
    case Type::kF32X4:
    case Type::kF64X2:
      return 128;
    default:
      return 0;
  }
}
inline constexpr bool IsLaneShape(Type t) {
  return t >= Type::kI8X16 && t <= Type::kF64X2;
}
// Lanes of a shape (1 for v128 and scalars).
inline constexpr int LaneCount(Type t) {
  switch (t) {
    case Type::kI8X16: return 16;
    case Type::kI16X8: return 8;
    case Type::kI32X4: case Type::kF32X4: return 4;
    case Type::kI64X2: case Type::kF64X2: return 2;
    default: return 1;
  }
}
inline constexpr int LaneBits(Type t) { return 128 / LaneCount(t); }
// The scalar type a lane is read or written as: i32 for i8/i16/i32 lanes
// (zero-extended), i64, f32, f64; kInvalid for v128 and scalars.
inline constexpr Type LaneType(Type t) {
  switch (t) {
    case Type::kI8X16: case Type::kI16X8: case Type::kI32X4: return Type::kI32;
    case Type::kI64X2: return Type::kI64;
    case Type::kF32X4: return Type::kF32;
    case Type::kF64X2: return Type::kF64;
    default: return Type::kInvalid;
  }
}
// "i32", "f64", "i32x4", ...; "invalid" for kInvalid.
absl::string_view TypeName(Type t);
// Inverse of TypeName (never returns kInvalid).
std::optional<Type> ParseType(absl::string_view s);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_TYPES_H_
