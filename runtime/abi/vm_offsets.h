// The VMContext layout: the one definition of where compiled code finds
// everything it needs at run time.
//
// Every instance has one VMContext: a block of memory, 16-byte aligned,
// whose address compiled code receives as its first hidden argument (the
// callee's VMContext*; the second hidden argument is the caller's). It is
// laid out as
//
//   offset  field                                   type
//   ------  --------------------------------------  -----------------------
//   0       header                                  VMContextHeader (48 B)
//           ... the per-module parts, in this order, sized from counts:
//           defined memories                        VMMemoryDefinition[n]
//           imported memories                       VMMemoryImport[n]
//           imported functions                      VMFunctionImport[n]
//           imported tables                         VMTableImport[n]
//           imported globals                        VMGlobalImport[n]
//           defined tables                          VMTableDefinition[n]
//           defined globals (16-byte aligned)       VMGlobalDefinition[n]
//           funcrefs                                VMFuncRef[n]
//           data segment "dropped" flags            uint8_t[n]
//           element segment "dropped" flags         uint8_t[n]
//           (padding to a multiple of 16)
//
// Defined memories come first so that the single-memory fast path,
// `mov base, [vmctx + 48]`, uses an 8-bit displacement.
//
// Stack limit and exit frame: these live in VMRuntimeLimits, one per Store,
// pointed to by the header, not inline in each VMContext. A call from
// instance A into instance B's function (an import) runs B's prologue with
// B's VMContext, so a per-VMContext limit would have to be updated in every
// instance of the store on every entry; one shared block keeps the entry
// cost constant. The prologue check is therefore
//   mov  r11, [vmctx + VMOffsets::kRuntimeLimits]
//   cmp  rsp, [r11 + VMOffsets::kRuntimeLimitsStackLimit]   (or rsp - frame)
//   jb   <trap site with TrapCode::kStackOverflow>
// (emit it after `push rbp; mov rbp, rsp` so backtraces see the frame).
//
// The C++ structs below are the same layout for runtime code; each is
// static_assert'ed against VMOffsets, so changing one without the other does
// not compile.
#ifndef KILN_RUNTIME_ABI_VM_OFFSETS_H_
#define KILN_RUNTIME_ABI_VM_OFFSETS_H_

#include <cstddef>
#include <cstdint>

namespace kiln::abi {

// "KVMC" in little-endian; the first word of every VMContext.
inline constexpr uint32_t kVMContextMagic = 0x434d564b;

// The value of VMRuntimeLimits::stack_limit while no wasm runs on the
// store: every prologue check fails, so entering wasm without EnterWasm
// (which sets the real limit) traps StackOverflow instead of overflowing.
inline constexpr uintptr_t kStackLimitUnset = ~uintptr_t{0};

// Per-store state shared by all the store's instances.
struct VMRuntimeLimits {
  // Compiled code traps StackOverflow when rsp (after its frame) would go
  // below this. Set by EnterWasm on the outermost entry, restored on exit.
  uintptr_t stack_limit = kStackLimitUnset;
  // Optional: frame pointer and return pc of the newest wasm frame when
  // wasm calls out to the host (a backend may store these before calling a
  // builtin or host function; RaiseTrap then starts its backtrace there
  // instead of walking the host's own frames). 0 = not recorded.
  uintptr_t last_wasm_exit_fp = 0;
  uintptr_t last_wasm_exit_pc = 0;
  // Stack pointer of the outermost entry frame on this store (informative).
  uintptr_t last_wasm_entry_sp = 0;

  // --- Interruption (read only by code compiled with the option on).
  // Fuel (TranslateOptions::consume_fuel): minus the fuel left. Compiled
  // code adds each basic block's cost before leaving it and calls the
  // OutOfFuel builtin at a function entry or loop header when the value is
  // >= 0. Counting up
  // towards zero makes the check a compare with 0, not with a second field.
  int64_t fuel_consumed = 0;
  // Epoch interruption (TranslateOptions::epoch_interruption): the engine's
  // epoch counter (never null; the store points it at its engine's) and
  // the epoch at which this store's wasm is interrupted. Compiled code
  // calls the NewEpoch builtin when *epoch_ptr >= epoch_deadline.
  const uint64_t* epoch_ptr = &kNoEpoch;
  uint64_t epoch_deadline = 0;
  // Host only (no VMOffsets entry): the store's deadline policy, run by the
  // NewEpoch builtin with the VMContext header's `store`. Returns true to
  // continue (it has moved epoch_deadline forward), false to trap
  // Interrupt. Null: always trap.
  bool (*on_epoch_deadline)(void* store) = nullptr;
  // Host only: the store's out-of-fuel policy, run by the OutOfFuel
  // builtin with the VMContext header's `store`. Returns true to continue
  // (it has added fuel: fuel_consumed < 0), false to trap OutOfFuel. Null:
  // always trap.
  bool (*on_out_of_fuel)(void* store) = nullptr;

  // The epoch_ptr target of limits not attached to an engine.
  static constexpr uint64_t kNoEpoch = 0;
};

struct VMContextHeader {
  uint32_t magic;                    // kVMContextMagic
  uint32_t reserved;                 // 0
  VMRuntimeLimits* runtime_limits;   // the store's limits (never null)
  void* store;                       // opaque: the owning store
  // Module type index -> engine-wide signature id (the id in VMFuncRef).
  // call_indirect compares VMFuncRef::type_id with type_ids[type_index].
  const uint32_t* type_ids;
  // kNumBuiltins function pointers, indexed by BuiltinId (builtins.h).
  const void* const* builtins;
  void* instance;                    // opaque: the owning runtime instance
};

// A linear memory's current extent. `length` is in bytes; it only grows.
// With the default 4 GiB reservation `base` never moves.
struct VMMemoryDefinition {
  uint8_t* base;
  uint64_t length;
};

struct VMMemoryImport {
  VMMemoryDefinition* from;  // in the exporting instance's VMContext
  void* vmctx;               // the exporting instance's VMContext
};

// An imported function: call `code` with `vmctx` as the callee VMContext.
struct VMFunctionImport {
  const void* code;
  void* vmctx;
};

// A table: `size` elements of one pointer each at `base`. funcref elements
// are VMFuncRef* (null for ref.null); externref elements are opaque
// pointers.
struct VMTableDefinition {
  void** base;
  uint64_t size;
};

struct VMTableImport {
  VMTableDefinition* from;
  void* vmctx;
};

// Storage for one global of any value type (i32..v128, references),
// little-endian in the low bytes.
struct alignas(16) VMGlobalDefinition {
  uint8_t storage[16];
};

struct VMGlobalImport {
  VMGlobalDefinition* from;
};

// What a funcref points to: everything call_indirect needs.
struct VMFuncRef {
  const void* code;   // native code, wasm calling convention
  void* vmctx;        // callee VMContext (host functions: their own context)
  uint32_t type_id;   // engine-wide signature id
  uint32_t reserved;
};

// Tables that are initialised lazily keep this bit set in slots that hold
// their final value; a slot without it must be resolved through the
// TableGetLazyInit builtin. (Engines that fill tables eagerly set it on
// every non-null slot or never test it.)
inline constexpr uintptr_t kFuncRefInitBit = 1;
// Whether Kiln's funcref tables use kFuncRefInitBit: the one setting the
// translator (TranslateOptions::funcref_table_init_bit), the runtime
// (InstanceConfig, Table) and the engine default to. Compiled code and the
// tables it reads must agree; .cwasm artifacts record the choice.
inline constexpr bool kFuncRefTableInitBit = true;

// How many of each thing a module has; the input to VMOffsets. Each count
// must be below 2^24 (the decoder's limits are far lower) so every offset
// fits in 32 bits.
struct VMOffsetsCounts {
  uint32_t num_imported_functions = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;
  uint32_t num_defined_tables = 0;
  uint32_t num_defined_memories = 0;
  uint32_t num_defined_globals = 0;
  // One VMFuncRef per function (funcref index == function index; filled
  // lazily). VMContextCountsFor (vm_context_counts.h) is the definition.
  uint32_t num_func_refs = 0;
  uint32_t num_data_segments = 0;
  uint32_t num_elem_segments = 0;
};

// Offsets (in bytes, from the VMContext address) of every field, computed
// from counts. All members are constexpr, so a static layout can be checked
// at compile time.
class VMOffsets {
 public:
  // --- Header fields.
  static constexpr uint32_t kMagic = 0;
  static constexpr uint32_t kRuntimeLimits = 8;
  static constexpr uint32_t kStore = 16;
  static constexpr uint32_t kTypeIds = 24;
  static constexpr uint32_t kBuiltins = 32;
  static constexpr uint32_t kInstance = 40;
  static constexpr uint32_t kHeaderSize = 48;

  // --- Field offsets inside the structs (relative to the struct).
  static constexpr uint32_t kRuntimeLimitsStackLimit = 0;
  static constexpr uint32_t kRuntimeLimitsLastWasmExitFp = 8;
  static constexpr uint32_t kRuntimeLimitsLastWasmExitPc = 16;
  static constexpr uint32_t kRuntimeLimitsLastWasmEntrySp = 24;
  static constexpr uint32_t kRuntimeLimitsFuelConsumed = 32;
  static constexpr uint32_t kRuntimeLimitsEpochPtr = 40;
  static constexpr uint32_t kRuntimeLimitsEpochDeadline = 48;
  static constexpr uint32_t kMemoryDefinitionBase = 0;
  static constexpr uint32_t kMemoryDefinitionLength = 8;
  static constexpr uint32_t kMemoryDefinitionSize = 16;
  static constexpr uint32_t kMemoryImportFrom = 0;
  static constexpr uint32_t kMemoryImportVmctx = 8;
  static constexpr uint32_t kMemoryImportSize = 16;
  static constexpr uint32_t kFunctionImportCode = 0;
  static constexpr uint32_t kFunctionImportVmctx = 8;
  static constexpr uint32_t kFunctionImportSize = 16;
  static constexpr uint32_t kTableDefinitionBase = 0;
  static constexpr uint32_t kTableDefinitionSize = 8;  // the `size` field
  static constexpr uint32_t kTableDefinitionStructSize = 16;
  static constexpr uint32_t kTableImportFrom = 0;
  static constexpr uint32_t kTableImportVmctx = 8;
  static constexpr uint32_t kTableImportSize = 16;
  static constexpr uint32_t kGlobalImportFrom = 0;
  static constexpr uint32_t kGlobalImportSize = 8;
  static constexpr uint32_t kGlobalDefinitionSize = 16;
  static constexpr uint32_t kFuncRefCode = 0;
  static constexpr uint32_t kFuncRefVmctx = 8;
  static constexpr uint32_t kFuncRefTypeId = 16;
  static constexpr uint32_t kFuncRefSize = 24;

  constexpr explicit VMOffsets(const VMOffsetsCounts& counts)
      : counts_(counts) {
    uint32_t at = kHeaderSize;
    defined_memories_ = at;
    at += counts.num_defined_memories * kMemoryDefinitionSize;
    imported_memories_ = at;
    at += counts.num_imported_memories * kMemoryImportSize;
    imported_functions_ = at;
    at += counts.num_imported_functions * kFunctionImportSize;
    imported_tables_ = at;
    at += counts.num_imported_tables * kTableImportSize;
    imported_globals_ = at;
    at += counts.num_imported_globals * kGlobalImportSize;
    defined_tables_ = at;
    at += counts.num_defined_tables * kTableDefinitionStructSize;
    at = AlignUp(at, 16);
    defined_globals_ = at;
    at += counts.num_defined_globals * kGlobalDefinitionSize;
    func_refs_ = at;
    at += counts.num_func_refs * kFuncRefSize;
    data_dropped_ = at;
    at += counts.num_data_segments;
    elem_dropped_ = at;
    at += counts.num_elem_segments;
    size_ = AlignUp(at, 16);
  }

  constexpr const VMOffsetsCounts& counts() const { return counts_; }
  // Total size of the VMContext in bytes (a multiple of 16).
  constexpr uint32_t size() const { return size_; }

  // --- Defined memories (index among the module's defined memories).
  constexpr uint32_t DefinedMemory(uint32_t i) const {
    return defined_memories_ + i * kMemoryDefinitionSize;
  }
  constexpr uint32_t DefinedMemoryBase(uint32_t i) const {
    return DefinedMemory(i) + kMemoryDefinitionBase;
  }
  constexpr uint32_t DefinedMemoryLength(uint32_t i) const {
    return DefinedMemory(i) + kMemoryDefinitionLength;
  }

  // --- Imports (index among imports of that kind).
  constexpr uint32_t ImportedMemory(uint32_t i) const {
    return imported_memories_ + i * kMemoryImportSize;
  }
  constexpr uint32_t ImportedMemoryFrom(uint32_t i) const {
    return ImportedMemory(i) + kMemoryImportFrom;
  }
  constexpr uint32_t ImportedMemoryVmctx(uint32_t i) const {
    return ImportedMemory(i) + kMemoryImportVmctx;
  }
  constexpr uint32_t ImportedFunction(uint32_t i) const {
    return imported_functions_ + i * kFunctionImportSize;
  }
  constexpr uint32_t ImportedFunctionCode(uint32_t i) const {
    return ImportedFunction(i) + kFunctionImportCode;
  }
  constexpr uint32_t ImportedFunctionVmctx(uint32_t i) const {
    return ImportedFunction(i) + kFunctionImportVmctx;
  }
  constexpr uint32_t ImportedTable(uint32_t i) const {
    return imported_tables_ + i * kTableImportSize;
  }
  constexpr uint32_t ImportedTableFrom(uint32_t i) const {
    return ImportedTable(i) + kTableImportFrom;
  }
  constexpr uint32_t ImportedTableVmctx(uint32_t i) const {
    return ImportedTable(i) + kTableImportVmctx;
  }
  constexpr uint32_t ImportedGlobal(uint32_t i) const {
    return imported_globals_ + i * kGlobalImportSize;
  }

  // --- Defined tables and globals.
  constexpr uint32_t DefinedTable(uint32_t i) const {
    return defined_tables_ + i * kTableDefinitionStructSize;
  }
  constexpr uint32_t DefinedTableBase(uint32_t i) const {
    return DefinedTable(i) + kTableDefinitionBase;
  }
  constexpr uint32_t DefinedTableSize(uint32_t i) const {
    return DefinedTable(i) + kTableDefinitionSize;
  }
  constexpr uint32_t DefinedGlobal(uint32_t i) const {
    return defined_globals_ + i * kGlobalDefinitionSize;
  }

  // --- Funcrefs (index in the module's funcref space, not function index).
  constexpr uint32_t FuncRef(uint32_t i) const {
    return func_refs_ + i * kFuncRefSize;
  }
  constexpr uint32_t FuncRefCode(uint32_t i) const {
    return FuncRef(i) + kFuncRefCode;
  }
  constexpr uint32_t FuncRefVmctx(uint32_t i) const {
    return FuncRef(i) + kFuncRefVmctx;
  }
  constexpr uint32_t FuncRefTypeId(uint32_t i) const {
    return FuncRef(i) + kFuncRefTypeId;
  }

  // --- Dropped flags: one byte per segment, nonzero once dropped.
  constexpr uint32_t DataDropped(uint32_t i) const { return data_dropped_ + i; }
  constexpr uint32_t ElemDropped(uint32_t i) const { return elem_dropped_ + i; }

  // Starts of each region (for bulk initialisation by the instance).
  constexpr uint32_t defined_memories_begin() const { return defined_memories_; }
  constexpr uint32_t imported_memories_begin() const { return imported_memories_; }
  constexpr uint32_t imported_functions_begin() const { return imported_functions_; }
  constexpr uint32_t imported_tables_begin() const { return imported_tables_; }
  constexpr uint32_t imported_globals_begin() const { return imported_globals_; }
  constexpr uint32_t defined_tables_begin() const { return defined_tables_; }
  constexpr uint32_t defined_globals_begin() const { return defined_globals_; }
  constexpr uint32_t func_refs_begin() const { return func_refs_; }
  constexpr uint32_t data_dropped_begin() const { return data_dropped_; }
  constexpr uint32_t elem_dropped_begin() const { return elem_dropped_; }

 private:
  static constexpr uint32_t AlignUp(uint32_t v, uint32_t a) {
    return (v + a - 1) & ~(a - 1);
  }

  VMOffsetsCounts counts_;
  uint32_t defined_memories_ = 0;
  uint32_t imported_memories_ = 0;
  uint32_t imported_functions_ = 0;
  uint32_t imported_tables_ = 0;
  uint32_t imported_globals_ = 0;
  uint32_t defined_tables_ = 0;
  uint32_t defined_globals_ = 0;
  uint32_t func_refs_ = 0;
  uint32_t data_dropped_ = 0;
  uint32_t elem_dropped_ = 0;
  uint32_t size_ = 0;
};

// The C++ structs agree with VMOffsets.
static_assert(sizeof(VMContextHeader) == VMOffsets::kHeaderSize);
static_assert(offsetof(VMContextHeader, magic) == VMOffsets::kMagic);
static_assert(offsetof(VMContextHeader, runtime_limits) ==
              VMOffsets::kRuntimeLimits);
static_assert(offsetof(VMContextHeader, store) == VMOffsets::kStore);
static_assert(offsetof(VMContextHeader, type_ids) == VMOffsets::kTypeIds);
static_assert(offsetof(VMContextHeader, builtins) == VMOffsets::kBuiltins);
static_assert(offsetof(VMContextHeader, instance) == VMOffsets::kInstance);
static_assert(offsetof(VMRuntimeLimits, stack_limit) ==
              VMOffsets::kRuntimeLimitsStackLimit);
static_assert(offsetof(VMRuntimeLimits, last_wasm_exit_fp) ==
              VMOffsets::kRuntimeLimitsLastWasmExitFp);
static_assert(offsetof(VMRuntimeLimits, last_wasm_exit_pc) ==
              VMOffsets::kRuntimeLimitsLastWasmExitPc);
static_assert(offsetof(VMRuntimeLimits, last_wasm_entry_sp) ==
              VMOffsets::kRuntimeLimitsLastWasmEntrySp);
static_assert(offsetof(VMRuntimeLimits, fuel_consumed) ==
              VMOffsets::kRuntimeLimitsFuelConsumed);
static_assert(offsetof(VMRuntimeLimits, epoch_ptr) ==
              VMOffsets::kRuntimeLimitsEpochPtr);
static_assert(offsetof(VMRuntimeLimits, epoch_deadline) ==
              VMOffsets::kRuntimeLimitsEpochDeadline);
static_assert(sizeof(VMMemoryDefinition) == VMOffsets::kMemoryDefinitionSize);
static_assert(offsetof(VMMemoryDefinition, base) ==
              VMOffsets::kMemoryDefinitionBase);
static_assert(offsetof(VMMemoryDefinition, length) ==
              VMOffsets::kMemoryDefinitionLength);
static_assert(sizeof(VMMemoryImport) == VMOffsets::kMemoryImportSize);
static_assert(offsetof(VMMemoryImport, from) == VMOffsets::kMemoryImportFrom);
static_assert(offsetof(VMMemoryImport, vmctx) == VMOffsets::kMemoryImportVmctx);
static_assert(sizeof(VMFunctionImport) == VMOffsets::kFunctionImportSize);
static_assert(offsetof(VMFunctionImport, code) ==
              VMOffsets::kFunctionImportCode);
static_assert(offsetof(VMFunctionImport, vmctx) ==
              VMOffsets::kFunctionImportVmctx);
static_assert(sizeof(VMTableDefinition) ==
              VMOffsets::kTableDefinitionStructSize);
static_assert(offsetof(VMTableDefinition, base) ==
              VMOffsets::kTableDefinitionBase);
static_assert(offsetof(VMTableDefinition, size) ==
              VMOffsets::kTableDefinitionSize);
static_assert(sizeof(VMTableImport) == VMOffsets::kTableImportSize);
static_assert(offsetof(VMTableImport, from) == VMOffsets::kTableImportFrom);
static_assert(offsetof(VMTableImport, vmctx) == VMOffsets::kTableImportVmctx);
static_assert(sizeof(VMGlobalImport) == VMOffsets::kGlobalImportSize);
static_assert(sizeof(VMGlobalDefinition) == VMOffsets::kGlobalDefinitionSize);
static_assert(alignof(VMGlobalDefinition) == 16);
static_assert(sizeof(VMFuncRef) == VMOffsets::kFuncRefSize);
static_assert(offsetof(VMFuncRef, code) == VMOffsets::kFuncRefCode);
static_assert(offsetof(VMFuncRef, vmctx) == VMOffsets::kFuncRefVmctx);
static_assert(offsetof(VMFuncRef, type_id) == VMOffsets::kFuncRefTypeId);

// The single-memory fast path: memory 0's base is right after the header.
static_assert(VMOffsets(VMOffsetsCounts{.num_defined_memories = 1})
                  .DefinedMemoryBase(0) == 48);

}  // namespace kiln::abi

#endif  // KILN_RUNTIME_ABI_VM_OFFSETS_H_
