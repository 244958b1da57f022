#include "codegen/compiler/call_scan.h"

#include "wasm/opcodes.h"

namespace kiln::compiler {
namespace {

using wasm::ImmKind;
using wasm::Opcode;

// A bounds-checked cursor; after a failed read `ok` is false and every
// further read fails too.
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint8_t Byte() {
    if (p == end) {
      ok = false;
      return 0;
    }
    return *p++;
  }
  uint64_t Leb() {
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (p == end) break;
      const uint8_t b = *p++;
      if (shift < 64) v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok = false;
    p = end;
    return 0;
  }
  void Skip(uint64_t n) {
    if (static_cast<uint64_t>(end - p) < n) {
      ok = false;
      p = end;
    } else {
      p += n;
    }
  }
  void MemArg() {
    // Bit 6 of the alignment: a memory index follows (multi-memory).
    if (Leb() & 0x40) Leb();
    Leb();  // Offset (u32, or u64 with memory64).
  }
};

}  // namespace

BodyCalls ScanCalls(absl::Span<const uint8_t> body,
                    absl::FunctionRef<void(uint32_t, bool)> on_call) {
  BodyCalls out;
  Cursor c{body.data(), body.data() + body.size()};
  for (uint64_t groups = c.Leb(); c.ok && groups > 0; --groups) {
    c.Leb();   // Count.
    c.Byte();  // Value type.
  }
  while (c.ok && c.p != c.end) {
    const uint8_t b = c.Byte();
    uint64_t code = b;
    uint8_t prefix = 0;
    if (wasm::IsPrefixByte(b)) {
      prefix = b;
      code = c.Leb();
    }
    const Opcode op = code <= UINT32_MAX
                          ? wasm::LookupOpcode(prefix, static_cast<uint32_t>(code))
                          : Opcode::kInvalid;
    if (op == Opcode::kInvalid) {
      c.ok = false;
      break;
    }
    switch (wasm::GetOpcodeInfo(op).imm) {
      case ImmKind::kNone:
        break;
      case ImmKind::kFunc: {
        const uint64_t callee = c.Leb();
        if (c.ok && callee <= UINT32_MAX &&
            (op == Opcode::kCall || op == Opcode::kReturnCall)) {
          on_call(static_cast<uint32_t>(callee), op == Opcode::kReturnCall);
        }
        break;
      }
      // One LEB128 (block types are s33, value type bytes are one-byte
      // LEBs; a 2.0 memory index is a zero byte).
      case ImmKind::kBlockType:
      case ImmKind::kLabel:
      case ImmKind::kLocal:
      case ImmKind::kGlobal:
      case ImmKind::kTable:
      case ImmKind::kMemory:
      case ImmKind::kI32:
      case ImmKind::kI64:
      case ImmKind::kData:
      case ImmKind::kElem:
        c.Leb();
        break;
      case ImmKind::kCallIndirect:
        if (op == Opcode::kReturnCallIndirect) out.tail_call_indirect = true;
        [[fallthrough]];
      case ImmKind::kMemoryInit:
      case ImmKind::kMemoryCopy:
      case ImmKind::kTableInit:
      case ImmKind::kTableCopy:
        c.Leb();
        c.Leb();
        break;
      case ImmKind::kBrTable:
        for (uint64_t n = c.Leb() + 1; c.ok && n > 0; --n) c.Leb();
        break;
      case ImmKind::kSelectT:
        c.Skip(c.Leb());
        break;
      case ImmKind::kRefType:
      case ImmKind::kLane2:
      case ImmKind::kLane4:
      case ImmKind::kLane8:
      case ImmKind::kLane16:
        c.Byte();
        break;
      case ImmKind::kF32:
        c.Skip(4);
        break;
      case ImmKind::kF64:
        c.Skip(8);
        break;
      case ImmKind::kV128:
      case ImmKind::kShuffle:
        c.Skip(16);
        break;
      case ImmKind::kMem8:
      case ImmKind::kMem16:
      case ImmKind::kMem32:
      case ImmKind::kMem64:
      case ImmKind::kMem128:
        c.MemArg();
        break;
      case ImmKind::kMemLane8:
      case ImmKind::kMemLane16:
      case ImmKind::kMemLane32:
      case ImmKind::kMemLane64:
        c.MemArg();
        c.Byte();
        break;
    }
  }
  out.malformed = !c.ok;
  return out;
}

}  // namespace kiln::compiler
