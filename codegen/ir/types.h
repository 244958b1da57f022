// Value types of the IR.
//
// What a WebAssembly 2.0 translator needs: i32, i64, f32, f64, v128.
// Booleans are i32 0/1 (as in wasm), pointers are i64. v128 is produced by
// the generic `simd` instruction (simd.h), loads, calls and block params.
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
      return 128;
    default:
      return 0;
  }
}
// "i32", "f64", ...; "invalid" for kInvalid.
absl::string_view TypeName(Type t);
// Inverse of TypeName (never returns kInvalid).
std::optional<Type> ParseType(absl::string_view s);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_TYPES_H_
