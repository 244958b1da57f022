// A simple alias analysis for loads and stores.
//
// Every access belongs to one region: linear memory (the heap_* opcodes),
// mutable VMContext fields, wasm globals or tables (raw loads and stores
// with the kMemVmctx / kMemGlobal / kMemTable flag). Accesses of different
// regions never overlap. Inside a region two accesses are known apart only
// when they use the same base (and, for the heap, the same index) value and
// their byte ranges [offset, offset + size) do not meet.
//
// Writes: a store writes its region; a call (wasm, indirect or builtin,
// which includes memory.grow, table.set and the host) may write every
// region; a raw store without a region may write anything. Loads marked
// readonly never change. Raw loads without a region (the epoch counter, the
// fuel count) are volatile: passes must leave them where they are.
//
// Threads: an atomic access (InstFormat::kAtomic) or fence is a barrier:
// DescribeAccess does not describe it (no pass moves or merges it) and it
// may write every region, so nothing known before it is known after it.
// Plain heap accesses of a shared memory (kHeapShared) are volatile: such
// a load is never forwarded, removed or hoisted, and such a store is never
// forwarded to a load.
#ifndef KILN_CODEGEN_OPT_ALIAS_H_
#define KILN_CODEGEN_OPT_ALIAS_H_

#include <cstdint>

#include "codegen/ir/function.h"

namespace kiln::opt {

// Region bits (a set of regions is their OR).
enum AliasRegion : uint8_t {
  kRegionNone = 0,
  kRegionHeap = 1 << 0,
  kRegionVmctx = 1 << 1,
  kRegionGlobal = 1 << 2,
  kRegionTable = 1 << 3,
  kRegionOther = 1 << 4,  // A raw access without a region flag.
};
inline constexpr uint8_t kAllRegions = 0x1f;

struct MemAccess {
  ir::Opcode opcode;
  ir::Type type;         // Loaded type, or the stored value's type.
  uint8_t region;        // One bit; kRegionNone for readonly loads.
  bool is_store;
  // A load of kRegionOther or of a shared memory: never optimized; a store
  // to a shared memory: never forwarded.
  bool volatile_load;
  ir::Value base;        // Heap base, or the raw pointer.
  ir::Value index;       // Heap index (none for raw accesses).
  int64_t offset;
  int size;              // Bytes accessed.
};

// Describes a load or store; false for any other instruction.
bool DescribeAccess(const ir::Function& f, ir::Inst i, MemAccess* out);

// The regions `i` may write (stores, calls); 0 for everything else.
uint8_t WrittenRegions(const ir::Function& f, ir::Inst i);

// Whether the two accesses may touch a common byte.
bool MayAlias(const MemAccess& a, const MemAccess& b);

// Whether a load `b` reads exactly the bytes `a` read or wrote, as the same
// type and with the same extension: then its value is `a`'s.
bool SameLocation(const MemAccess& a, const MemAccess& b);

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_ALIAS_H_
