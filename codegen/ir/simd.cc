#include "codegen/ir/simd.h"

#include <cstring>

namespace kiln::ir {
namespace {

Type IrType(wasm::ValType t) {
  switch (t) {
    case wasm::ValType::kI32: return Type::kI32;
    case wasm::ValType::kI64: return Type::kI64;
    case wasm::ValType::kF32: return Type::kF32;
    case wasm::ValType::kF64: return Type::kF64;
    case wasm::ValType::kV128: return Type::kV128;
    default: return Type::kInvalid;
  }
}

}  // namespace

std::optional<SimdSig> GetSimdSig(wasm::Opcode op) {
  using wasm::Opcode;
  const wasm::OpcodeInfo& info = wasm::GetOpcodeInfo(op);
  if (info.prefix != 0xfd) return std::nullopt;
  SimdSig s;
  auto set = [&](std::initializer_list<Type> args) {
    s.num_args = 0;
    for (Type t : args) s.args[s.num_args++] = t;
    s.result = Type::kV128;
    return s;
  };
  switch (op) {
    case Opcode::kV128Const: return set({Type::kI64, Type::kI64});
    case Opcode::kI8X16Shuffle:
      return set({Type::kV128, Type::kV128, Type::kI64, Type::kI64});
    case Opcode::kV128Load8X8S: case Opcode::kV128Load8X8U:
    case Opcode::kV128Load16X4S: case Opcode::kV128Load16X4U:
    case Opcode::kV128Load32X2S: case Opcode::kV128Load32X2U:
    case Opcode::kV128Load64Splat: case Opcode::kV128Load64Zero:
      return set({Type::kI64});
    case Opcode::kV128Load8Splat: case Opcode::kV128Load16Splat:
    case Opcode::kV128Load32Splat: case Opcode::kV128Load32Zero:
      return set({Type::kI32});
    default: break;
  }
  switch (info.imm) {
    case wasm::ImmKind::kNone: break;
    case wasm::ImmKind::kLane2: s.lanes = 2; break;
    case wasm::ImmKind::kLane4: s.lanes = 4; break;
    case wasm::ImmKind::kLane8: s.lanes = 8; break;
    case wasm::ImmKind::kLane16: s.lanes = 16; break;
    default: return std::nullopt;
  }
  if (info.sig == wasm::SigClass::kSigSpecial) return std::nullopt;
  const wasm::Signature& sig = wasm::GetSignature(info.sig);
  if (!sig.has_result) return std::nullopt;
  s.num_args = sig.num_params;
  for (int i = 0; i < sig.num_params; ++i) s.args[i] = IrType(sig.params[i]);
  s.result = IrType(sig.result);
  return s;
}

std::optional<wasm::Opcode> ParseSimdOpcode(const char* name, size_t len) {
  for (int i = 0; i < wasm::kNumOpcodes; ++i) {
    auto op = static_cast<wasm::Opcode>(i);
    const char* n = wasm::OpcodeName(op);
    if (wasm::GetOpcodeInfo(op).prefix == 0xfd && std::strlen(n) == len &&
        std::memcmp(n, name, len) == 0 && GetSimdSig(op)) {
      return op;
    }
  }
  return std::nullopt;
}

}  // namespace kiln::ir
