#include "codegen/ir/simd.h"

#include "absl/container/flat_hash_map.h"

namespace kiln::ir {
namespace {

struct VectorRow {
  absl::string_view sig;  // "v:vv"
  uint8_t shapes;
};

// Indexed by Opcode; scalar rows are empty.
constexpr VectorRow kRows[] = {
#define KILN_IR_OPCODE(name, text, format, result, operands, flags) {"", 0},
#define KILN_IR_VECTOR_OPCODE(name, text, sig, shapes) {sig, (shapes)},
#include "codegen/ir/opcodes.def"
#undef KILN_IR_VECTOR_OPCODE
#undef KILN_IR_OPCODE
};
static_assert(sizeof(kRows) / sizeof(kRows[0]) == kNumOpcodes);

const VectorRow& Row(Opcode op) { return kRows[static_cast<int>(op)]; }

// The operand part of the signature ("vv" of "v:vv").
absl::string_view Operands(Opcode op) {
  absl::string_view s = Row(op).sig;
  return s.size() >= 2 ? s.substr(2) : absl::string_view();
}

Type CharType(char c, Type shape) {
  switch (c) {
    case 'v': return Type::kV128;
    case 's': return LaneType(shape);
    case 'i': return Type::kI32;
    case 'I': return Type::kI64;
    default: return Type::kInvalid;
  }
}

bool IsValueChar(char c) { return c == 'v' || c == 's' || c == 'i' || c == 'I'; }

}  // namespace

uint8_t ShapeBit(Type shape) {
  switch (shape) {
    case Type::kV128: return kShapeV128;
    case Type::kI8X16: return kShapeI8;
    case Type::kI16X8: return kShapeI16;
    case Type::kI32X4: return kShapeI32;
    case Type::kI64X2: return kShapeI64;
    case Type::kF32X4: return kShapeF32;
    case Type::kF64X2: return kShapeF64;
    default: return 0;
  }
}

std::optional<Opcode> ParseVectorOpcode(absl::string_view name) {
  static const auto* map = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, Opcode>;
    for (int i = 0; i < kNumOpcodes; ++i) {
      auto op = static_cast<Opcode>(i);
      if (IsVectorOp(op)) (*m)[OpcodeName(op)] = op;
    }
    return m;
  }();
  auto it = map->find(name);
  if (it == map->end()) return std::nullopt;
  return it->second;
}

absl::string_view VectorSignature(Opcode op) { return Row(op).sig; }
uint8_t VectorShapes(Opcode op) { return Row(op).shapes; }

int VectorNumArgs(Opcode op) {
  int n = 0;
  for (char c : Operands(op)) n += IsValueChar(c);
  return n;
}

Type VectorArgType(Opcode op, Type shape, int k) {
  for (char c : Operands(op)) {
    if (!IsValueChar(c)) continue;
    if (k-- == 0) return CharType(c, shape);
  }
  return Type::kInvalid;
}

Type VectorResultType(Opcode op, Type shape) {
  absl::string_view s = Row(op).sig;
  return s.empty() ? Type::kInvalid : CharType(s[0], shape);
}

bool VectorHasLane(Opcode op) {
  return Operands(op).find('n') != absl::string_view::npos;
}
bool VectorHasIntCC(Opcode op) {
  return Operands(op).find('c') != absl::string_view::npos;
}
bool VectorHasFloatCC(Opcode op) {
  return Operands(op).find('f') != absl::string_view::npos;
}

}  // namespace kiln::ir
