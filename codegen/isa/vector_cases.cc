#include "codegen/isa/vector_cases.h"

#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/simd.h"

namespace kiln::isa::testing {
namespace {

uint64_t RandomLanes(std::mt19937_64& rng, ir::Type shape) {
  static constexpr uint32_t kF32[] = {0, 0x80000000u, 0x3fc00000u, 0xc0200000u,
                                      0x7f800000u, 0xff800000u, 0x7fc00000u,
                                      0x4f800000u, 0xcf000000u, 0x3f000000u,
                                      0x4e6e6b28u, 0x40200000u};
  static constexpr uint64_t kF64[] = {0, 0x8000000000000000ull, 0x3ff8000000000000ull,
                                      0xc004000000000000ull, 0x7ff0000000000000ull,
                                      0x7ff8000000000000ull, 0x41efffffffe00000ull,
                                      0xc1e0000000000000ull, 0x3fe0000000000000ull,
                                      0x41dfffffffc00000ull, 0x4004000000000000ull};
  static constexpr uint64_t kInt[] = {0, ~0ull, 0x8000800080008000ull,
                                      0x7fff7fff7fff7fffull, 0x8080808080808080ull,
                                      0x7f7f7f7f7f7f7f7full, 0x0000000100000001ull,
                                      0x8000000000000000ull};
  if (shape == ir::Type::kF32X4) {
    return kF32[rng() % 12] | uint64_t{kF32[rng() % 12]} << 32;
  }
  if (shape == ir::Type::kF64X2) return kF64[rng() % 11];
  return rng() % 3 == 0 ? kInt[rng() % 8] : rng();
}

// Width of the float lanes of op's result (0: compare bits exactly).
int FloatResultBits(ir::Opcode op, ir::Type shape) {
  switch (op) {
    case ir::Opcode::kFcvtLowFromSint: case ir::Opcode::kFcvtLowFromUint:
    case ir::Opcode::kFvpromoteLow:
      return 64;
    case ir::Opcode::kVfcvtFromSint: case ir::Opcode::kVfcvtFromUint:
    case ir::Opcode::kFvdemote:
      return 32;
    case ir::Opcode::kVfcmp: case ir::Opcode::kVfcvtToSintSat:
    case ir::Opcode::kVfcvtToUintSat: case ir::Opcode::kFcvtToSintSatZero:
    case ir::Opcode::kFcvtToUintSatZero: case ir::Opcode::kVhighBits:
      return 0;
    default:
      return shape == ir::Type::kF32X4 ? 32 : shape == ir::Type::kF64X2 ? 64 : 0;
  }
}

// Equal, or NaN in both for each float lane (wasm leaves NaN bits open:
// x86 makes 0xffc00000 where the interpreter makes the canonical NaN).
bool SameBits(uint64_t a, uint64_t b, int float_bits) {
  if (a == b) return true;
  if (float_bits == 64) return std::isnan(std::bit_cast<double>(a)) &&
                               std::isnan(std::bit_cast<double>(b));
  if (float_bits != 32) return false;
  for (int h = 0; h < 2; ++h) {
    uint32_t x = static_cast<uint32_t>(a >> (32 * h)), y = static_cast<uint32_t>(b >> (32 * h));
    if (x != y && !(std::isnan(std::bit_cast<float>(x)) && std::isnan(std::bit_cast<float>(y)))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string VectorCase(const VectorCaseKind& kind, std::mt19937_64& rng) {
  const ir::Opcode op = kind.op;
  const ir::Type shape = kind.shape;
  const int cc = kind.cc;
  std::string body;
  int next = 3;
  auto val = [&] { return absl::StrCat("v", next++); };
  auto iconst = [&](ir::Type t, uint64_t x) {
    std::string v = val();
    absl::StrAppend(&body, "    ", v, " = iconst.", ir::TypeName(t), " ",
                    t == ir::Type::kI32 ? static_cast<int64_t>(static_cast<int32_t>(x))
                                        : static_cast<int64_t>(x),
                    "\n");
    return v;
  };
  std::vector<std::string> operands;
  const absl::string_view sig = ir::VectorSignature(op);
  int i64_operand = 0;
  uint64_t shuffle_mask[2];
  for (int k = 0; k < 2; ++k) {
    shuffle_mask[k] = 0;
    for (int j = 0; j < 8; ++j) shuffle_mask[k] |= (rng() % 32) << (8 * j);
  }
  for (char c : sig.substr(2)) {
    switch (c) {
      case 'v': {
        std::string lo = iconst(ir::Type::kI64, RandomLanes(rng, shape));
        std::string hi = iconst(ir::Type::kI64, RandomLanes(rng, shape));
        std::string v = val();
        absl::StrAppend(&body, "    ", v, " = vconst.v128 ", lo, ", ", hi, "\n");
        operands.push_back(v);
        break;
      }
      case 's': {
        ir::Type lt = ir::LaneType(shape);
        uint64_t x = RandomLanes(rng, shape);
        if (ir::IsFloat(lt)) {
          std::string b = iconst(lt == ir::Type::kF32 ? ir::Type::kI32 : ir::Type::kI64, x);
          std::string v = val();
          absl::StrAppend(&body, "    ", v, " = bitcast.", ir::TypeName(lt), " ", b, "\n");
          operands.push_back(v);
        } else {
          operands.push_back(iconst(lt, lt == ir::Type::kI32 ? x & 0xffffffffu : x));
        }
        break;
      }
      case 'i': operands.push_back(iconst(ir::Type::kI32, rng() % 70)); break;
      case 'I':
        operands.push_back(iconst(ir::Type::kI64, op == ir::Opcode::kShuffle
                                                      ? shuffle_mask[i64_operand++]
                                                      : RandomLanes(rng, shape)));
        break;
      case 'c': operands.push_back(std::string(ir::IntCCName(static_cast<ir::IntCC>(cc)))); break;
      case 'f': operands.push_back(std::string(ir::FloatCCName(static_cast<ir::FloatCC>(cc)))); break;
      case 'n': operands.push_back(absl::StrCat(rng() % ir::LaneCount(shape))); break;
    }
  }
  std::string r = val();
  absl::StrAppend(&body, "    ", r, " = ", ir::OpcodeName(op), ".", ir::TypeName(shape));
  for (size_t k = 0; k < operands.size(); ++k) {
    const bool after_cc = k > 0 && (sig[2 + k - 1] == 'c' || sig[2 + k - 1] == 'f');
    absl::StrAppend(&body, k == 0 || after_cc ? " " : ", ", operands[k]);
  }
  body += "\n";
  std::string out;
  switch (ir::VectorResultType(op, shape)) {
    case ir::Type::kV128: {
      std::string e0 = val(), e1 = val();
      out = val();
      absl::StrAppend(&body, "    ", e0, " = extractlane.i64x2 ", r, ", 0\n    ", e1,
                      " = extractlane.i64x2 ", r, ", 1\n    ", out, " = select v2, ", e1,
                      ", ", e0, "\n");
      break;
    }
    case ir::Type::kI64: out = r; break;
    case ir::Type::kF64:
      out = val();
      absl::StrAppend(&body, "    ", out, " = bitcast.i64 ", r, "\n");
      break;
    case ir::Type::kF32: {
      std::string b = val();
      out = val();
      absl::StrAppend(&body, "    ", b, " = bitcast.i32 ", r, "\n    ", out,
                      " = uextend.i64 ", b, "\n");
      break;
    }
    default:
      out = val();
      absl::StrAppend(&body, "    ", out, " = uextend.i64 ", r, "\n");
      break;
  }
  return absl::StrCat("function %t(i64, i64, i32) -> i64 {\nblock0(v0: i64, v1: i64, v2: i32):\n",
                      body, "    return ", out, "\n}\n");
}

std::vector<VectorCaseKind> AllVectorCaseKinds() {
  std::vector<VectorCaseKind> kinds;
  for (int o = 0; o < ir::kNumOpcodes; ++o) {
    const auto op = static_cast<ir::Opcode>(o);
    if (!ir::IsVectorOp(op)) continue;
    for (ir::Type shape : {ir::Type::kV128, ir::Type::kI8X16, ir::Type::kI16X8,
                           ir::Type::kI32X4, ir::Type::kI64X2, ir::Type::kF32X4,
                           ir::Type::kF64X2}) {
      if (!(ir::ShapeBit(shape) & ir::VectorShapes(op))) continue;
      const int num_cc = ir::VectorHasIntCC(op) ? 10 : ir::VectorHasFloatCC(op) ? 8 : 1;
      for (int cc = 0; cc < num_cc; ++cc) kinds.push_back({op, shape, cc});
    }
  }
  return kinds;
}

bool SameResultBits(const VectorCaseKind& kind, uint64_t got, uint64_t want) {
  return SameBits(got, want, FloatResultBits(kind.op, kind.shape));
}

}  // namespace kiln::isa::testing
