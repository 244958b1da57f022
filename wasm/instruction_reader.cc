#include "wasm/instruction_reader.h"

namespace kiln::wasm {

uint8_t InstructionReader::Byte() {
  if (p_ == end_) {
    ok_ = false;
    return 0;
  }
  return *p_++;
}

uint64_t InstructionReader::Leb() {
  uint64_t v = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (p_ == end_) break;
    const uint8_t b = *p_++;
    if (shift < 64) v |= uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return v;
  }
  ok_ = false;
  p_ = end_;
  return 0;
}

void InstructionReader::Skip(uint64_t n) {
  if (static_cast<uint64_t>(end_ - p_) < n) {
    ok_ = false;
    p_ = end_;
  } else {
    p_ += n;
  }
}

void InstructionReader::MemArg() {
  // Bit 6 of the alignment: a memory index follows (multi-memory).
  if (Leb() & 0x40) Leb();
  Leb();  // Offset (u32, or u64 with memory64).
}

uint32_t InstructionReader::ReadLocals() {
  uint64_t total = 0;
  for (uint64_t groups = Leb(); ok_ && groups > 0; --groups) {
    total += Leb();
    Byte();  // Value type.
    if (total > UINT32_MAX) total = UINT32_MAX;
  }
  return ok_ ? static_cast<uint32_t>(total) : 0;
}

bool InstructionReader::Next(Opcode* op, uint64_t* imm) {
  *imm = 0;
  if (!ok_ || p_ == end_) return false;
  const uint8_t b = Byte();
  uint64_t code = b;
  uint8_t prefix = 0;
  if (IsPrefixByte(b)) {
    prefix = b;
    code = Leb();
  }
  *op = code <= UINT32_MAX ? LookupOpcode(prefix, static_cast<uint32_t>(code))
                           : Opcode::kInvalid;
  if (*op == Opcode::kInvalid) {
    ok_ = false;
    return false;
  }
  switch (GetOpcodeInfo(*op).imm) {
    case ImmKind::kNone:
      // The one exception to the table: a reserved zero byte.
      if (*op == Opcode::kAtomicFence) Byte();
      break;
    // One LEB128 (block types are s33 whose one-byte forms are 0x40 and the
    // value types; a 2.0 memory index is a zero byte).
    case ImmKind::kBlockType:
    case ImmKind::kLabel:
    case ImmKind::kFunc:
    case ImmKind::kLocal:
    case ImmKind::kGlobal:
    case ImmKind::kTable:
    case ImmKind::kMemory:
    case ImmKind::kI32:
    case ImmKind::kI64:
    case ImmKind::kData:
    case ImmKind::kElem:
      *imm = Leb();
      break;
    case ImmKind::kCallIndirect:  // typeidx tableidx
    case ImmKind::kMemoryInit:
    case ImmKind::kMemoryCopy:
    case ImmKind::kTableInit:
    case ImmKind::kTableCopy:
      *imm = Leb();
      Leb();
      break;
    case ImmKind::kBrTable:
      for (uint64_t n = Leb(); ok_; --n) {
        Leb();  // The targets, then the default.
        if (n == 0) break;
      }
      break;
    case ImmKind::kSelectT:
      Skip(Leb());
      break;
    case ImmKind::kRefType:
    case ImmKind::kLane2:
    case ImmKind::kLane4:
    case ImmKind::kLane8:
    case ImmKind::kLane16:
      Byte();
      break;
    case ImmKind::kF32:
      Skip(4);
      break;
    case ImmKind::kF64:
      Skip(8);
      break;
    case ImmKind::kV128:
    case ImmKind::kShuffle:
      Skip(16);
      break;
    case ImmKind::kMem8:
    case ImmKind::kMem16:
    case ImmKind::kMem32:
    case ImmKind::kMem64:
    case ImmKind::kMem128:
      MemArg();
      break;
    case ImmKind::kMemLane8:
    case ImmKind::kMemLane16:
    case ImmKind::kMemLane32:
    case ImmKind::kMemLane64:
      MemArg();
      Byte();
      break;
  }
  return ok_;
}

}  // namespace kiln::wasm
