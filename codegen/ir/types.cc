#include "codegen/ir/types.h"

namespace kiln::ir {

absl::string_view TypeName(Type t) {
  switch (t) {
    case Type::kI32:
      return "i32";
    case Type::kI64:
      return "i64";
    case Type::kF32:
      return "f32";
    case Type::kF64:
      return "f64";
    case Type::kV128:
      return "v128";
    case Type::kI8X16:
      return "i8x16";
    case Type::kI16X8:
      return "i16x8";
    case Type::kI32X4:
      return "i32x4";
    case Type::kI64X2:
      return "i64x2";
    case Type::kF32X4:
      return "f32x4";
    case Type::kF64X2:
      return "f64x2";
    case Type::kInvalid:
      break;
  }
  return "invalid";
}

std::optional<Type> ParseType(absl::string_view s) {
  if (s == "i32") return Type::kI32;
  if (s == "i64") return Type::kI64;
  if (s == "f32") return Type::kF32;
  if (s == "f64") return Type::kF64;
  if (s == "v128") return Type::kV128;
  if (s == "i8x16") return Type::kI8X16;
  if (s == "i16x8") return Type::kI16X8;
  if (s == "i32x4") return Type::kI32X4;
  if (s == "i64x2") return Type::kI64X2;
  if (s == "f32x4") return Type::kF32X4;
  if (s == "f64x2") return Type::kF64X2;
  return std::nullopt;
}

}  // namespace kiln::ir
