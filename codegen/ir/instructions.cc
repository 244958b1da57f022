#include "codegen/ir/instructions.h"

#include <array>
#include <cctype>
#include <string>

#include "absl/container/flat_hash_map.h"

namespace kiln::ir {
namespace {

constexpr OpcodeInfo kOpcodeInfos[] = {
#define KILN_IR_OPCODE(name, text, format, result, operands, flags) \
  {text, InstFormat::k##format, ResultRule::k##result,              \
   TypeClass::k##operands, static_cast<uint8_t>(flags)},
#include "codegen/ir/opcodes.def"
#undef KILN_IR_OPCODE
};
static_assert(sizeof(kOpcodeInfos) / sizeof(kOpcodeInfos[0]) == kNumOpcodes);

constexpr absl::string_view kIntCCNames[] = {"eq",  "ne",  "slt", "sle", "sgt",
                                            "sge", "ult", "ule", "ugt", "uge"};
constexpr absl::string_view kFloatCCNames[] = {"eq", "ne", "lt",  "le",
                                              "gt", "ge", "ord", "uno"};
constexpr absl::string_view kMemFlagNames[] = {"notrap", "aligned", "readonly",
                                              "vmctx", "global", "table"};

const std::array<std::string, abi::kNumTrapCodes>& TrapNames() {
  static const auto* names = [] {
    auto* n = new std::array<std::string, abi::kNumTrapCodes>;
    for (int i = 0; i < abi::kNumTrapCodes; ++i) {
      std::string_view camel = abi::TrapCodeName(static_cast<TrapCode>(i));
      std::string& out = (*n)[i];
      for (size_t j = 0; j < camel.size(); ++j) {
        char c = camel[j];
        if (std::isupper(static_cast<unsigned char>(c))) {
          if (j != 0) out.push_back('_');
          out.push_back(static_cast<char>(std::tolower(c)));
        } else {
          out.push_back(c);
        }
      }
    }
    return n;
  }();
  return *names;
}

}  // namespace

const OpcodeInfo& GetOpcodeInfo(Opcode op) {
  return kOpcodeInfos[static_cast<int>(op)];
}

std::optional<Opcode> ParseOpcode(absl::string_view name) {
  static const auto* map = [] {
    auto* m = new absl::flat_hash_map<absl::string_view, Opcode>;
    for (int i = 0; i < kNumOpcodes; ++i) {
      // Vector rows share names with scalar ones: simd.h's ParseVectorOpcode.
      if (kOpcodeInfos[i].format == InstFormat::kVector) continue;
      (*m)[kOpcodeInfos[i].name] = static_cast<Opcode>(i);
    }
    return m;
  }();
  auto it = map->find(name);
  if (it == map->end()) return std::nullopt;
  return it->second;
}

absl::string_view IntCCName(IntCC cc) { return kIntCCNames[static_cast<int>(cc)]; }
std::optional<IntCC> ParseIntCC(absl::string_view s) {
  for (int i = 0; i < 10; ++i) {
    if (kIntCCNames[i] == s) return static_cast<IntCC>(i);
  }
  return std::nullopt;
}
IntCC InverseIntCC(IntCC cc) {
  switch (cc) {
    case IntCC::kEq: return IntCC::kNe;
    case IntCC::kNe: return IntCC::kEq;
    case IntCC::kSlt: return IntCC::kSge;
    case IntCC::kSge: return IntCC::kSlt;
    case IntCC::kSle: return IntCC::kSgt;
    case IntCC::kSgt: return IntCC::kSle;
    case IntCC::kUlt: return IntCC::kUge;
    case IntCC::kUge: return IntCC::kUlt;
    case IntCC::kUle: return IntCC::kUgt;
    case IntCC::kUgt: return IntCC::kUle;
  }
  return cc;
}
IntCC SwapIntCC(IntCC cc) {
  switch (cc) {
    case IntCC::kSlt: return IntCC::kSgt;
    case IntCC::kSgt: return IntCC::kSlt;
    case IntCC::kSle: return IntCC::kSge;
    case IntCC::kSge: return IntCC::kSle;
    case IntCC::kUlt: return IntCC::kUgt;
    case IntCC::kUgt: return IntCC::kUlt;
    case IntCC::kUle: return IntCC::kUge;
    case IntCC::kUge: return IntCC::kUle;
    default: return cc;
  }
}

absl::string_view FloatCCName(FloatCC cc) {
  return kFloatCCNames[static_cast<int>(cc)];
}
std::optional<FloatCC> ParseFloatCC(absl::string_view s) {
  for (int i = 0; i < 8; ++i) {
    if (kFloatCCNames[i] == s) return static_cast<FloatCC>(i);
  }
  return std::nullopt;
}

absl::string_view MemFlagName(int bit_index) { return kMemFlagNames[bit_index]; }
std::optional<MemFlag> ParseMemFlag(absl::string_view s) {
  for (int i = 0; i < kNumMemFlags; ++i) {
    if (kMemFlagNames[i] == s) return static_cast<MemFlag>(1 << i);
  }
  return std::nullopt;
}

absl::string_view TrapCodeTextName(TrapCode code) {
  int i = static_cast<int>(code);
  if (i < 0 || i >= abi::kNumTrapCodes) return "unknown";
  return TrapNames()[i];
}
std::optional<TrapCode> ParseTrapCode(absl::string_view s) {
  const auto& names = TrapNames();
  for (int i = 0; i < abi::kNumTrapCodes; ++i) {
    if (names[i] == s) return static_cast<TrapCode>(i);
  }
  return std::nullopt;
}

int HeapAccessBytes(Opcode op, Type ctrl_type) {
  switch (op) {
    case Opcode::kHeapUload8:
    case Opcode::kHeapSload8:
    case Opcode::kHeapIstore8:
      return 1;
    case Opcode::kHeapUload16:
    case Opcode::kHeapSload16:
    case Opcode::kHeapIstore16:
      return 2;
    case Opcode::kHeapUload32:
    case Opcode::kHeapSload32:
    case Opcode::kHeapIstore32:
      return 4;
    default:
      return TypeBits(ctrl_type) / 8;
  }
}

int AtomicValueArgs(Opcode op) {
  switch (op) {
    case Opcode::kAtomicLoad: return 0;
    case Opcode::kAtomicCas: return 2;
    default: return 1;
  }
}

}  // namespace kiln::ir
