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
  return std::nullopt;
}

}  // namespace kiln::ir
