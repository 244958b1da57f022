// Instance: the runtime side of one instantiated module -- its VMContext,
// its defined memories, tables and globals, and the operations the builtins
// (libcalls) perform on them.
//
// The engine resolves imports, interns signatures and publishes code; it
// then fills an InstanceConfig and calls Create, then Initialize (active
// segments), then runs the start function through EnterWasm.
//
// VMContext layout: VMOffsets(abi::VMContextCountsFor(module)), the same
// counts the translator and compiler::VMContextCountsFor use. The
// funcref region has one VMFuncRef per function (funcref index == function
// index); ref.func and tables point there. Entries are filled on first use
// (func_ref), and the VMContext comes zeroed from calloc (fresh zero pages
// for big blocks) or from a pool slot (runtime/pool: reset with madvise on
// release), so instantiation does not touch memory per function.
#ifndef KILN_RUNTIME_VM_INSTANCE_H_
#define KILN_RUNTIME_VM_INSTANCE_H_

#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_context_counts.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/memory/memory_image.h"
#include "runtime/vm/instance_allocator.h"
#include "runtime/vm/resource_limiter.h"
#include "runtime/vm/table.h"
#include "wasm/module_info.h"

namespace kiln::runtime {

struct ImportedFunction {
  const void* code = nullptr;  // wasm calling convention
  void* vmctx = nullptr;       // callee VMContext (or host context)
  uint32_t type_id = 0;        // engine-wide signature id
};
struct ImportedTable {
  Table* table = nullptr;
  void* vmctx = nullptr;  // owner's VMContext (may be null for host tables)
};
struct ImportedMemory {
  LinearMemory* memory = nullptr;
  void* vmctx = nullptr;
};
struct ImportedGlobal {
  abi::VMGlobalDefinition* definition = nullptr;
};

// The initial contents of a module's defined funcref tables, built once per
// module, so instances can fill tables lazily (Table::MakeLazy) instead of
// applying active element segments. Built only when every active element
// segment targets a defined funcref table, has an i32.const offset, fits the
// table's minimum size and holds only ref.func / ref.null items (then none
// can trap and applying them in order equals the image).
struct TableImages {
  // Indexed by defined-table index: slot -> function index + 1 (0 = null).
  std::vector<std::vector<uint32_t>> tables;
};
std::unique_ptr<TableImages> TableImagesForModule(
    const wasm::ModuleInfo& module);

struct InstanceConfig {
  const wasm::ModuleInfo* module = nullptr;  // must outlive the instance
  // Module type index -> engine signature id (stored in the VMContext
  // header; must outlive the instance).
  absl::Span<const uint32_t> type_ids;
  // Code address of each defined function, in order (function index
  // module->num_imported_functions + i).
  absl::Span<const void* const> function_code;
  // One entry per import of each kind, in import order.
  absl::Span<const ImportedFunction> imported_functions;
  absl::Span<const ImportedTable> imported_tables;
  absl::Span<const ImportedMemory> imported_memories;
  absl::Span<const ImportedGlobal> imported_globals;
  // Shared by every instance of the store (required).
  abi::VMRuntimeLimits* limits = nullptr;
  void* store = nullptr;
  LinearMemory::Options memory_options;
  // Must match the code's TranslateOptions::funcref_table_init_bit (both
  // default to abi::kFuncRefTableInitBit).
  bool funcref_table_init_bit = abi::kFuncRefTableInitBit;
  // Per defined memory (index: memory index minus the imported memories),
  // from runtime::MemoryImagesOfModule(*module) (built once per module);
  // a null entry, or none (a shorter span), means no image. Create maps
  // each into its memory, and Initialize only drops the active data
  // segments of those memories instead of copying them.
  absl::Span<const MemoryImage* const> memory_images;
  // From TableImagesForModule(*module), or null. When set (and
  // funcref_table_init_bit), defined funcref tables are lazy and Initialize
  // only drops the active element segments.
  const TableImages* table_images = nullptr;
  // Where the instance's block, memories and tables come from
  // (runtime/vm/instance_allocator.h); must outlive the instance. Null:
  // OnDemandAllocator::Default().
  InstanceAllocator* allocator = nullptr;
  // Identity of `module`, unique in the process (0: unknown). An allocator
  // that reuses blocks keeps the funcrefs of the same module for its next
  // instance, and one that reuses memories does not map the same image
  // again (required with a pooling allocator and `memory_images`: a
  // module has one image per defined memory, and a pool slot's memory k
  // only ever holds defined memory k's).
  uint64_t module_id = 0;
  // VMOffsets(InstanceCountsFor(*module)) computed once per module, or null
  // (then computed here).
  const abi::VMOffsets* offsets = nullptr;
  // Asked before each defined memory / table is created and on every
  // memory.grow / table.grow from wasm (runtime/vm/resource_limiter.h);
  // null = no limits. Must outlive the instance (the engine's is per store).
  ResourceLimiterHook* limiter = nullptr;
};


// The VMContext counts the runtime lays out for `module`: the ABI's
// (abi::VMContextCountsFor), named here for the engine.
inline abi::VMOffsetsCounts InstanceCountsFor(const wasm::ModuleInfo& module) {
  return abi::VMContextCountsFor(module);
}

class Instance {
 public:
  // Allocates the VMContext, links imports, creates defined memories and
  // tables, evaluates global initializers and fills funcrefs. Errors name
  // the import / definition. Does not run segments or the start function.
  static absl::StatusOr<std::unique_ptr<Instance>> Create(
      const InstanceConfig& config);
  ~Instance();
  // The instance object and its VMContext share one block from the
  // InstanceAllocator; destroying the instance gives its memories, tables
  // and then the block back to it.
  static void operator delete(Instance* instance, std::destroying_delete_t);
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Applies active element then data segments in order, dropping active
  // and declarative segments. Returns the trap (TableOutOfBounds /
  // MemoryOutOfBounds) of the first segment out of bounds; earlier segments
  // keep their effect (wasm 2.0 semantics).
  std::optional<abi::TrapCode> Initialize();

  void* vmctx() const { return vmctx_; }
  const abi::VMOffsets& offsets() const { return offsets_; }
  const wasm::ModuleInfo& module() const { return *module_; }
  // The instance owning `vmctx` (from its header).
  static Instance* FromVMContext(const void* vmctx);

  // Index spaces (imports first).
  LinearMemory* memory(uint32_t index) const { return memories_[index]; }
  Table* table(uint32_t index) const { return tables_[index]; }
  abi::VMGlobalDefinition* global(uint32_t index) const;
  // The funcref of function `func_index` (filled on first use). Every
  // pointer to a VMFuncRef of this instance must come from here.
  abi::VMFuncRef* func_ref(uint32_t func_index) const;
  uint32_t num_memories() const { return static_cast<uint32_t>(memories_.size()); }
  uint32_t num_tables() const { return static_cast<uint32_t>(tables_.size()); }
  // The embedder's data for this instance (the engine's InstanceData).
  void* host_data() const { return host_data_; }
  void set_host_data(void* data) { host_data_ = data; }
  // The allocator's index of the block (a pool slot; 0 on demand).
  uint32_t allocator_slot() const { return allocation_.slot; }

  // --- Operations behind the builtins (runtime/vm/builtins.h). Each
  // returns the trap code instead of raising it.
  // The two grows consult the limiter; when it answers with an error they
  // raise TrapCode::kHostError (after ResourceLimiterHook::OnTrap), so call
  // them from builtins only (outside wasm they return -1 instead).
  // Addresses, sizes and page counts are u64 for memory64 (the 32-bit
  // builtins pass u32 values). MemoryGrow returns the old size or -1.
  int64_t MemoryGrow(uint32_t memory_index, uint64_t delta_pages);
  std::optional<abi::TrapCode> MemoryFill(uint32_t memory_index, uint64_t dst,
                                          uint8_t value, uint64_t len);
  std::optional<abi::TrapCode> MemoryCopy(uint32_t dst_memory, uint32_t src_memory,
                                          uint64_t dst, uint64_t src,
                                          uint64_t len);
  std::optional<abi::TrapCode> MemoryInit(uint32_t memory_index,
                                          uint32_t data_index, uint64_t dst,
                                          uint64_t src, uint64_t len);
  void DataDrop(uint32_t data_index);
  std::optional<abi::TrapCode> TableGet(uint32_t table_index, uint32_t index,
                                        void** out);
  std::optional<abi::TrapCode> TableSet(uint32_t table_index, uint32_t index,
                                        void* value);
  int32_t TableGrow(uint32_t table_index, uint32_t delta, void* init);
  std::optional<abi::TrapCode> TableFill(uint32_t table_index, uint32_t dst,
                                         void* value, uint32_t len);
  std::optional<abi::TrapCode> TableCopy(uint32_t dst_table, uint32_t src_table,
                                         uint32_t dst, uint32_t src,
                                         uint32_t len);
  std::optional<abi::TrapCode> TableInit(uint32_t table_index,
                                         uint32_t elem_index, uint32_t dst,
                                         uint32_t src, uint32_t len);
  void ElemDrop(uint32_t elem_index);

 private:
  Instance() = default;
  uint8_t* At(uint32_t offset) const {
    return static_cast<uint8_t*>(vmctx_) + offset;
  }
  bool data_dropped(uint32_t i) const { return *At(offsets_.DataDropped(i)); }
  bool elem_dropped(uint32_t i) const { return *At(offsets_.ElemDropped(i)); }
  // The value of a constant expression, into 16 bytes of storage.
  void EvalConstExpr(const wasm::ConstExpr& expr,
                     abi::VMGlobalDefinition* out) const;
  void* EvalRef(const wasm::ConstExpr& expr) const;

  const wasm::ModuleInfo* module_ = nullptr;
  abi::VMOffsets offsets_{abi::VMOffsetsCounts{}};
  void* vmctx_ = nullptr;
  // Inline storage: instantiation allocates nothing for these in the
  // common case (at most two of each). owned_*[k] is defined memory /
  // table k (creation stops at the first failure, so a prefix), given
  // back to allocator_ by operator delete.
  absl::InlinedVector<LinearMemory*, 1> owned_memories_;
  absl::InlinedVector<Table*, 2> owned_tables_;
  absl::InlinedVector<LinearMemory*, 1> memories_;
  absl::InlinedVector<Table*, 2> tables_;
  const void* const* function_code_ = nullptr;  // defined functions
  const uint32_t* type_ids_ = nullptr;
  uint32_t* import_type_ids_ = nullptr;  // in the block, after the VMContext
  InstanceAllocator* allocator_ = nullptr;
  InstanceAllocation allocation_;
  InstanceRequest request_;  // what allocation_ was allocated with
  void* host_data_ = nullptr;
  ResourceLimiterHook* limiter_ = nullptr;
  // Per memory index: its active data segments are in its image already.
  absl::InlinedVector<bool, 1> memory_from_image_;
  bool elems_from_image_ = false;
  struct LazyTable {
    const Instance* instance;
    const std::vector<uint32_t>* image;
  };
  // Sized once before any address is taken (the tables point into it).
  absl::InlinedVector<LazyTable, 1> lazy_tables_;
  static void* ResolveLazySlot(void* ctx, uint32_t index);
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_VM_INSTANCE_H_
