// Opcode enumeration and per-opcode metadata, all derived from
// wasm/opcodes.def (the one opcode table).
#ifndef KILN_WASM_OPCODES_H_
#define KILN_WASM_OPCODES_H_

#include <array>
#include <cstdint>

#include "wasm/features.h"
#include "wasm/types.h"

namespace kiln::wasm {

// Opcodes, numbered densely in table order.
enum class Opcode : uint16_t {
#define KILN_OPCODE(prefix, code, Name, text, imm, sig) k##Name,
#include "wasm/opcodes.def"
  kInvalid,
};
inline constexpr int kNumOpcodes = static_cast<int>(Opcode::kInvalid);

// What follows the opcode in the binary encoding.
enum class ImmKind : uint8_t {
  kNone,
  kBlockType,     // blocktype (s33)
  kLabel,         // labelidx
  kBrTable,       // vec(labelidx) labelidx
  kFunc,          // funcidx (call, ref.func)
  kCallIndirect,  // typeidx tableidx
  kLocal,         // localidx
  kGlobal,        // globalidx
  kTable,         // tableidx
  kMemory,        // memidx (must be 0x00 in 2.0)
  kSelectT,       // vec(valtype)
  kRefType,       // reftype (ref.null)
  kI32,
  kI64,
  kF32,
  kF64,
  kV128,          // 16 bytes
  kShuffle,       // 16 lane indices < 32
  kMemoryInit,    // dataidx memidx
  kData,          // dataidx
  kMemoryCopy,    // memidx memidx
  kTableInit,     // elemidx tableidx
  kElem,          // elemidx
  kTableCopy,     // tableidx tableidx
  kMem8,          // memarg with natural alignment of 8/16/... bits
  kMem16,
  kMem32,
  kMem64,
  kMem128,
  kMemLane8,      // memarg + lane index
  kMemLane16,
  kMemLane32,
  kMemLane64,
  kLane2,         // lane index < 2/4/8/16
  kLane4,
  kLane8,
  kLane16,
};

// Signature classes used by the validator for "simple" opcodes.
enum class SigClass : uint8_t {
  kSigSpecial,
#define KILN_SIGNATURE(Name, r, p0, p1, p2) Name,
#include "wasm/opcodes.def"
};

struct Signature {
  int8_t num_params;
  bool has_result;
  ValType result;
  ValType params[3];
};

struct OpcodeInfo {
  uint8_t prefix;  // 0, 0xfc, 0xfd or 0xfe
  uint32_t code;
  const char* name;
  ImmKind imm;
  SigClass sig;
  // The proposal the opcode belongs to (Feature::kNone for 2.0 opcodes).
  Feature feature;
};

namespace internal {

inline constexpr OpcodeInfo kOpcodeInfos[] = {
#define KILN_OPCODE(prefix, code, Name, text, imm, sig) \
  {prefix, code, text, ImmKind::imm, SigClass::sig, Feature::kNone},
#define KILN_PROPOSAL_OPCODE(feature, prefix, code, Name, text, imm, sig) \
  {prefix, code, text, ImmKind::imm, SigClass::sig, Feature::k_##feature},
#include "wasm/opcodes.def"
    {0, 0, "<invalid>", ImmKind::kNone, SigClass::kSigSpecial, Feature::kNone},
};

struct SigArgs {
  bool present;
  ValType t;
};
constexpr SigArgs SA(ValType t) { return {true, t}; }
constexpr SigArgs SA(std::nullptr_t) { return {false, ValType::kI32}; }
constexpr Signature MakeSignature(SigArgs r, SigArgs a, SigArgs b, SigArgs c) {
  return Signature{static_cast<int8_t>(a.present + b.present + c.present),
                   r.present, r.t, {a.t, b.t, c.t}};
}

struct SigNames {
  static constexpr std::nullptr_t kNone = nullptr;
  static constexpr ValType kI32 = ValType::kI32;
  static constexpr ValType kI64 = ValType::kI64;
  static constexpr ValType kF32 = ValType::kF32;
  static constexpr ValType kF64 = ValType::kF64;
  static constexpr ValType kV128 = ValType::kV128;
};

inline constexpr Signature kSignatures[] = {
    {0, false, ValType::kI32, {}},  // kSigSpecial
#define KILN_SIGNATURE(Name, r, p0, p1, p2)                              \
  MakeSignature(SA(SigNames::r), SA(SigNames::p0), SA(SigNames::p1), \
                SA(SigNames::p2)),
#include "wasm/opcodes.def"
};

template <uint8_t kPrefix, size_t N>
constexpr std::array<Opcode, N> MakeLookup() {
  std::array<Opcode, N> t{};
  for (auto& o : t) o = Opcode::kInvalid;
  for (int i = 0; i < kNumOpcodes; ++i) {
    if (kOpcodeInfos[i].prefix == kPrefix && kOpcodeInfos[i].code < N)
      t[kOpcodeInfos[i].code] = static_cast<Opcode>(i);
  }
  return t;
}
inline constexpr std::array<Opcode, 256> kLookup00 = MakeLookup<0x00, 256>();
inline constexpr std::array<Opcode, 32> kLookupFC = MakeLookup<0xfc, 32>();
// 0xFD codes run to 0x113 (relaxed SIMD).
inline constexpr std::array<Opcode, 0x114> kLookupFD =
    MakeLookup<0xfd, 0x114>();
// 0xFE (threads) codes run to 0x4e.
inline constexpr std::array<Opcode, 0x4f> kLookupFE = MakeLookup<0xfe, 0x4f>();

}  // namespace internal

inline const OpcodeInfo& GetOpcodeInfo(Opcode op) {
  return internal::kOpcodeInfos[static_cast<int>(op)];
}
inline const char* OpcodeName(Opcode op) { return GetOpcodeInfo(op).name; }
inline const Signature& GetSignature(SigClass s) {
  return internal::kSignatures[static_cast<int>(s)];
}
inline bool IsPrefixByte(uint8_t b) {
  return b == 0xfc || b == 0xfd || b == 0xfe;
}
// The threads proposal's atomic memory accesses, wait and notify (0xFE
// opcodes with a memarg; atomic.fence has none).
inline bool IsAtomicAccess(Opcode op) {
  return GetOpcodeInfo(op).prefix == 0xfe && op != Opcode::kAtomicFence;
}

// Maps (prefix, code) to an opcode, or Opcode::kInvalid.
inline Opcode LookupOpcode(uint8_t prefix, uint32_t code) {
  switch (prefix) {
    case 0x00:
      return code < 256 ? internal::kLookup00[code] : Opcode::kInvalid;
    case 0xfc:
      return code < 32 ? internal::kLookupFC[code] : Opcode::kInvalid;
    case 0xfd:
      return code < internal::kLookupFD.size() ? internal::kLookupFD[code]
                                                : Opcode::kInvalid;
    case 0xfe:
      return code < internal::kLookupFE.size() ? internal::kLookupFE[code]
                                                : Opcode::kInvalid;
    default:
      return Opcode::kInvalid;
  }
}

// Natural alignment (log2 bytes) of a memory-access immediate kind, or -1.
constexpr int NaturalAlignmentLog2(ImmKind k) {
  switch (k) {
    case ImmKind::kMem8:
    case ImmKind::kMemLane8: return 0;
    case ImmKind::kMem16:
    case ImmKind::kMemLane16: return 1;
    case ImmKind::kMem32:
    case ImmKind::kMemLane32: return 2;
    case ImmKind::kMem64:
    case ImmKind::kMemLane64: return 3;
    case ImmKind::kMem128: return 4;
    default: return -1;
  }
}
// Number of lanes for lane-indexed immediates, or 0.
constexpr int LaneCount(ImmKind k) {
  switch (k) {
    case ImmKind::kLane2:
    case ImmKind::kMemLane64: return 2;
    case ImmKind::kLane4:
    case ImmKind::kMemLane32: return 4;
    case ImmKind::kLane8:
    case ImmKind::kMemLane16: return 8;
    case ImmKind::kLane16:
    case ImmKind::kMemLane8: return 16;
    default: return 0;
  }
}

}  // namespace kiln::wasm

#endif  // KILN_WASM_OPCODES_H_
