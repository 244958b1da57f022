#include "codegen/translate/simd.h"

#include <cstring>
#include <optional>

#include "codegen/ir/simd.h"

namespace kiln::translate {

using ir::Type;
using wasm::Opcode;

ir::Value EmitSimd(ir::FunctionBuilder& b, ir::Function& f, Opcode op,
                   absl::Span<const ir::Value> args, uint8_t lane) {
  std::optional<ir::SimdSig> sig = ir::GetSimdSig(op);
  if (!sig) return ir::Value();
  ir::Inst i = b.Emit(ir::Opcode::kSimd, sig->result, args);
  ir::InstData& d = f.mutable_inst(i);
  d.ref = static_cast<uint32_t>(op);
  d.imm = lane;
  return f.first_result(i);
}

ir::Value EmitV128Const(ir::FunctionBuilder& b, ir::Function& f,
                        const uint8_t bytes[16]) {
  int64_t lo, hi;
  std::memcpy(&lo, bytes, 8);
  std::memcpy(&hi, bytes + 8, 8);
  ir::Value vlo = b.Iconst(Type::kI64, lo);
  ir::Value vhi = hi == lo ? vlo : b.Iconst(Type::kI64, hi);
  return EmitSimd(b, f, Opcode::kV128Const, {vlo, vhi});
}

ir::Value EmitShuffle(ir::FunctionBuilder& b, ir::Function& f,
                      const uint8_t lanes[16], ir::Value x, ir::Value y) {
  int64_t lo, hi;
  std::memcpy(&lo, lanes, 8);
  std::memcpy(&hi, lanes + 8, 8);
  return EmitSimd(b, f, Opcode::kI8X16Shuffle,
                  {x, y, b.Iconst(Type::kI64, lo), b.Iconst(Type::kI64, hi)});
}

int SimdMemBytes(Opcode op) {
  switch (op) {
    case Opcode::kV128Load: case Opcode::kV128Store: return 16;
    case Opcode::kV128Load8X8S: case Opcode::kV128Load8X8U:
    case Opcode::kV128Load16X4S: case Opcode::kV128Load16X4U:
    case Opcode::kV128Load32X2S: case Opcode::kV128Load32X2U:
    case Opcode::kV128Load64Splat: case Opcode::kV128Load64Zero:
    case Opcode::kV128Load64Lane: case Opcode::kV128Store64Lane:
      return 8;
    case Opcode::kV128Load32Splat: case Opcode::kV128Load32Zero:
    case Opcode::kV128Load32Lane: case Opcode::kV128Store32Lane:
      return 4;
    case Opcode::kV128Load16Splat: case Opcode::kV128Load16Lane:
    case Opcode::kV128Store16Lane:
      return 2;
    case Opcode::kV128Load8Splat: case Opcode::kV128Load8Lane:
    case Opcode::kV128Store8Lane:
      return 1;
    default: return 0;
  }
}

namespace {
// Zero-extended scalar load of `bytes` (i64 for 8, else i32).
ir::Value ScalarLoad(ir::FunctionBuilder& b, int bytes, ir::Value base,
                     ir::Value index, uint32_t off) {
  switch (bytes) {
    case 1: return b.HeapUload8(Type::kI32, base, index, off);
    case 2: return b.HeapUload16(Type::kI32, base, index, off);
    case 4: return b.HeapLoad(Type::kI32, base, index, off);
    default: return b.HeapLoad(Type::kI64, base, index, off);
  }
}
}  // namespace

ir::Value EmitSimdLoad(ir::FunctionBuilder& b, ir::Function& f, Opcode op,
                       ir::Value base, ir::Value index, uint32_t off) {
  if (op == Opcode::kV128Load) return b.HeapLoad(Type::kV128, base, index, off);
  ir::Value x = ScalarLoad(b, SimdMemBytes(op), base, index, off);
  return EmitSimd(b, f, op, {x});
}

ir::Value EmitLoadLane(ir::FunctionBuilder& b, ir::Function& f, Opcode op,
                       uint8_t lane, ir::Value base, ir::Value index,
                       uint32_t off, ir::Value vec) {
  const int bytes = SimdMemBytes(op);
  ir::Value x = ScalarLoad(b, bytes, base, index, off);
  Opcode rep = bytes == 1   ? Opcode::kI8X16ReplaceLane
               : bytes == 2 ? Opcode::kI16X8ReplaceLane
               : bytes == 4 ? Opcode::kI32X4ReplaceLane
                            : Opcode::kI64X2ReplaceLane;
  return EmitSimd(b, f, rep, {vec, x}, lane);
}

void EmitStoreLane(ir::FunctionBuilder& b, ir::Function& f, Opcode op,
                   uint8_t lane, ir::Value base, ir::Value index, uint32_t off,
                   ir::Value vec) {
  const int bytes = SimdMemBytes(op);
  Opcode ext = bytes == 1   ? Opcode::kI8X16ExtractLaneU
               : bytes == 2 ? Opcode::kI16X8ExtractLaneU
               : bytes == 4 ? Opcode::kI32X4ExtractLane
                            : Opcode::kI64X2ExtractLane;
  ir::Value x = EmitSimd(b, f, ext, {vec}, lane);
  switch (bytes) {
    case 1: b.HeapIstore8(x, base, index, off); break;
    case 2: b.HeapIstore16(x, base, index, off); break;
    default: b.HeapStore(x, base, index, off); break;
  }
}

}  // namespace kiln::translate
