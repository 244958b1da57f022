#include "codegen/opt/alias.h"

namespace kiln::opt {
namespace {

using ir::Opcode;

uint8_t RawRegion(uint8_t mem_flags) {
  if (mem_flags & ir::kMemVmctx) return kRegionVmctx;
  if (mem_flags & ir::kMemGlobal) return kRegionGlobal;
  if (mem_flags & ir::kMemTable) return kRegionTable;
  return kRegionOther;
}

// The load opcode that reads back what a heap store wrote, with its width.
Opcode LoadOfStore(Opcode store) {
  switch (store) {
    case Opcode::kHeapIstore8: return Opcode::kHeapUload8;
    case Opcode::kHeapIstore16: return Opcode::kHeapUload16;
    case Opcode::kHeapIstore32: return Opcode::kHeapUload32;
    case Opcode::kHeapStore: return Opcode::kHeapLoad;
    default: return Opcode::kLoad;
  }
}

}  // namespace

bool DescribeAccess(const ir::Function& f, ir::Inst i, MemAccess* out) {
  const ir::InstData& d = f.inst(i);
  auto args = f.args(i);
  switch (ir::GetOpcodeInfo(d.opcode).format) {
    case ir::InstFormat::kLoad: {
      const bool readonly = d.code & ir::kMemReadonly;
      const uint8_t region = readonly ? kRegionNone : RawRegion(d.code);
      *out = {d.opcode, d.ctrl_type, region, false, region == kRegionOther,
              args[0], ir::Value(), d.imm, ir::TypeBits(d.ctrl_type) / 8};
      return true;
    }
    case ir::InstFormat::kStore: {
      const ir::Type t = f.value_type(args[0]);
      *out = {d.opcode, t, RawRegion(d.code), true, false,
              args[1], ir::Value(), d.imm, ir::TypeBits(t) / 8};
      return true;
    }
    case ir::InstFormat::kHeapLoad: {
      const bool shared = d.code & ir::kHeapShared;
      *out = {d.opcode, d.ctrl_type, kRegionHeap, false, shared, args[0],
              args[1], d.imm, ir::HeapAccessBytes(d.opcode, d.ctrl_type)};
      return true;
    }
    case ir::InstFormat::kHeapStore: {
      const ir::Type t = f.value_type(args[0]);
      const bool shared = d.code & ir::kHeapShared;
      *out = {d.opcode, t, kRegionHeap, true, shared, args[1], args[2], d.imm,
              ir::HeapAccessBytes(d.opcode, t)};
      return true;
    }
    default:
      return false;
  }
}

uint8_t WrittenRegions(const ir::Function& f, ir::Inst i) {
  const ir::Opcode op = f.opcode(i);
  if (ir::IsCall(op)) return kAllRegions;
  switch (ir::GetOpcodeInfo(op).format) {
    case ir::InstFormat::kStore: {
      const uint8_t r = RawRegion(f.inst(i).code);
      return r == kRegionOther ? kAllRegions : r;
    }
    case ir::InstFormat::kHeapStore:
      return kRegionHeap;
    case ir::InstFormat::kAtomic:   // barriers (alias.h)
    case ir::InstFormat::kNullary:  // fence
      return kAllRegions;
    default:
      return 0;
  }
}

bool MayAlias(const MemAccess& a, const MemAccess& b) {
  if (a.region == kRegionOther || b.region == kRegionOther) {
    return a.region != kRegionNone && b.region != kRegionNone;
  }
  if ((a.region & b.region) == 0) return false;
  if (a.base != b.base || a.index != b.index) return true;
  return a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

bool SameLocation(const MemAccess& a, const MemAccess& b) {
  if (a.region != b.region || a.base != b.base || a.index != b.index ||
      a.offset != b.offset || a.type != b.type) {
    return false;
  }
  const Opcode a_load = a.is_store ? LoadOfStore(a.opcode) : a.opcode;
  if (a_load != b.opcode) return false;
  // A narrow store then a narrow load would need the value truncated and
  // extended: only full-width stores forward.
  if (a.is_store && a.size * 8 != ir::TypeBits(a.type)) return false;
  return true;
}

}  // namespace kiln::opt
