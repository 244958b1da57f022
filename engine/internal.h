// Engine internals shared by the engine/*.cc files. Not part of the API.
#ifndef KILN_ENGINE_INTERNAL_H_
#define KILN_ENGINE_INTERNAL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/synchronization/mutex.h"
#include "codegen/compiler/compiled_module.h"
#include "codegen/compiler/compiler.h"
#include "codegen/trampolines/trampolines.h"
#include "engine/async_call.h"
#include "engine/engine.h"
#include "engine/extern.h"
#include "engine/func.h"
#include "engine/host_func.h"
#include "engine/id_table.h"
#include "engine/import_type.h"
#include "engine/module.h"
#include "engine/store.h"
#include "engine/trap.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/code/code_memory.h"
#include "runtime/code/code_registry.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/vm/instance_allocator.h"
#include "runtime/traps/entry.h"
#include "runtime/vm/instance.h"
#include "runtime/vm/table.h"
#include "wasm/module_info.h"

namespace kiln::internal {

// Funcref table slots carry abi::kFuncRefInitBit (must agree with the
// translator's TranslateOptions::funcref_table_init_bit).
inline constexpr bool kFuncRefTableInitBit = abi::kFuncRefTableInitBit;

// Cache-line aligned (as ModuleImpl): make_shared puts the reference
// counts right before the object, and every store on every thread bumps
// them; the fields read on each instantiation (config, pool) must not
// share their line.
struct alignas(64) EngineImpl {
  Config config;
  // Config::epoch_interruption: compiled code reads it with plain loads
  // through VMRuntimeLimits::epoch_ptr; the host changes and reads it
  // through std::atomic_ref (relaxed: the check only has to see the
  // increment eventually, it orders nothing else).
  alignas(8) uint64_t epoch = 0;
  SignatureRegistry signatures;
  absl::Status init_status;
  absl::Mutex mu;
  absl::flat_hash_map<uint32_t, trampolines::Trampoline> array_calls
      ABSL_GUARDED_BY(mu);
  // sig -> array-call entry, read without the lock.
  IdTable<void> array_call_table;
  absl::flat_hash_map<uint32_t, trampolines::Trampoline> host_calls
      ABSL_GUARDED_BY(mu);
  // Wasm-to-host trampolines ending in internal::HostArrayDispatch (the
  // engine-owned HostFuncs of FuncNew / FuncNewUnchecked, engine/host_func.h),
  // by signature id.
  absl::flat_hash_map<uint32_t, trampolines::Trampoline> host_array_calls
      ABSL_GUARDED_BY(mu);
  // Where every store's instances (and async calls' fiber stacks) come
  // from: runtime::OnDemandAllocator, or with Config::allocation_strategy
  // == kPooling a runtime::PoolingInstanceAllocator (stores keep the
  // engine alive, so it outlives them). Null when the pool could not be
  // mapped: then `allocator_status` says why and instantiation fails.
  std::unique_ptr<runtime::InstanceAllocator> allocator;
  absl::Status allocator_status;
  // Declared after `allocator`, which their fiber stacks go back to.
  IdleAsyncDrivers idle_async_drivers;
};

// A process-wide unique id (never 0): identifies a module's memory image in
// pooled memory slots, where a freed module's address could come back.
uint64_t NextModuleId();

struct alignas(64) ModuleImpl {
  explicit ModuleImpl(Engine e) : engine(std::move(e)), id(NextModuleId()) {}
  ~ModuleImpl() { registration.Reset(); }

  Engine engine;
  uint64_t id;  // NextModuleId()
  std::unique_ptr<wasm::ModuleInfo> info;
  std::vector<uint32_t> type_ids;
  std::unique_ptr<runtime::CodeMemory> code;
  std::vector<runtime::FunctionRange> ranges;
  std::vector<runtime::TrapSite> traps;
  runtime::CodeRange range;
  runtime::ScopedCodeRegistration registration;
  std::vector<const void*> function_code;
  absl::flat_hash_map<std::string, uint32_t> exports;
  // Initial contents of the defined funcref tables, so instances fill
  // them lazily (null when the module does not qualify, see
  // runtime::TableImagesForModule; then element segments are applied).
  std::unique_ptr<runtime::TableImages> table_images;
  // The instances' VMContext layout, computed once.
  std::optional<abi::VMOffsets> offsets;
  // Copy-on-write images of the defined memories' initial contents, one
  // per defined memory (null where the memory does not qualify, see
  // runtime::ImageSourceForMemory; none when Config::memory_init_cow is
  // off). Built once, on first instantiation or
  // Module::InitializeCopyOnWriteImage (MemoryImageFor); a .cwasm loaded
  // by DeserializeFile sets them up front, memory 0's mapped from the file.
  // std::call_once, not absl's: Debian's abseil is not built with TSan,
  // which then misses the hand-over to a thread that waited in absl's
  // (prebuilt) slow path; pthread_once, under std::call_once, is
  // intercepted. `memory_images_ready` (set last, release) is the fast path.
  std::once_flag memory_image_once;
  std::atomic<bool> memory_images_ready{false};
  std::vector<std::unique_ptr<runtime::MemoryImage>> memory_images;
  std::vector<const runtime::MemoryImage*> memory_image_ptrs;  // the same
  absl::Status memory_image_status;  // of the build (written once)
  // Precompiled modules (engine/serialize.cc): the compiler's metadata
  // (functions, traps, source map; `code` left empty) for Module::Serialize,
  // and, when the code was mapped executable straight from a .cwasm file,
  // the mapping that owns it (then `code` is null).
  std::shared_ptr<const compiler::CompiledModule> compiled;
  std::shared_ptr<const void> code_mapping;
  const uint8_t* code_base = nullptr;
  size_t code_size = 0;
};

// The module's copy-on-write memory images (one per defined memory, null
// entries where there is none; empty when there are none at all), built
// on the first call (thread-safe, once per module).
absl::Span<const runtime::MemoryImage* const> MemoryImageFor(
    ModuleImpl& module);
// Sets the images up once, given some defined memories' (`preset`,
// indexed by defined memory; missing or null: built like the others);
// called inside memory_image_once.
absl::Status SetMemoryImages(
    ModuleImpl& module,
    std::vector<std::unique_ptr<runtime::MemoryImage>> preset);

// The compiler options `config` implies (Module::FromBinary; the
// precompiled-module target in engine/serialize.cc is derived from them).
compiler::CompileOptions CompileOptionsFor(const Config& config);

// Builds a Module from a decoded module and its compiled metadata (`meta`,
// code empty) plus the code blob: `code` is copied into fresh W^X code
// memory, unless `mapping` is set, in which case `code` is already
// executable and `mapping` keeps it alive.
absl::StatusOr<Module> ModuleFromCompiled(
    const Engine& engine, std::unique_ptr<wasm::ModuleInfo> info,
    compiler::CompiledModule meta, absl::Span<const uint8_t> code,
    std::shared_ptr<const void> mapping);

// The "VMContext" of a host function: a distinct magic in the first word.
inline constexpr uint32_t kHostFuncMagic = 0x54534f48;  // "HOST"

struct HostFuncData {
  uint32_t magic = kHostFuncMagic;
  uint32_t reserved = 0;
  StoreOpaque* store = nullptr;
  HostCallback callback;
  abi::VMFuncRef funcref{};
};

inline bool IsHostContext(const void* vmctx) {
  return *static_cast<const uint32_t*>(vmctx) == kHostFuncMagic;
}

struct InstanceData {
  Module module;
  std::unique_ptr<runtime::Instance> instance;
};

// Export `name` of an instance of `store`.
std::optional<Extern> InstanceExport(StoreId store, InstanceData& data,
                                     std::string_view name);

// OK unless `value` is a non-null funcref of another store (or of none).
inline absl::Status CheckValStore(const StoreOpaque& store, const Val& value) {
  if (value.type() == ValType::kFuncRef && !value.is_null_ref() &&
      value.funcref_store() != store.id()) {
    return WrongStoreError();
  }
  return absl::OkStatus();
}

// Members are destroyed bottom-up: instances (which may point at host
// objects) go first.
// std::deque allocates in its default constructor; a fresh store per
// request must not pay for host functions it never creates.
template <typename T>
class LazyDeque {
 public:
  T& emplace_back() {
    if (items_ == nullptr) items_ = std::make_unique<std::deque<T>>();
    return items_->emplace_back();
  }
  size_t size() const { return items_ == nullptr ? 0 : items_->size(); }

 private:
  std::unique_ptr<std::deque<T>> items_;
};

struct StoreImpl {
  LazyDeque<HostFuncData> host_funcs;
  std::vector<std::unique_ptr<runtime::LinearMemory>> memories;
  // SharedMemory (engine/shared_memory.h) imported here: the store holds a
  // reference, other stores and threads hold theirs.
  std::vector<std::shared_ptr<runtime::LinearMemory>> shared_memories;
  std::vector<std::unique_ptr<runtime::Table>> tables;
  std::vector<std::unique_ptr<abi::VMGlobalDefinition>> globals;
  // Caller::GetExport finds an instance's InstanceData through its
  // VMContext (runtime::Instance::host_data), not a map. Inline: the usual
  // store holds one instance.
  absl::InlinedVector<std::unique_ptr<InstanceData>, 1> instances;
  // Set by a host function that trapped, consumed by the Func::Call that
  // entered wasm.
  std::optional<Trap> pending_trap;
  // Engine-owned HostFuncs (engine/host_func.h) materialized in this store:
  // their HostFuncCtx here (made on first use), found by ctx->state with a
  // linear scan while there are few (a hash map and shared_ptr cost a
  // store per request two allocations and a hash per import), through
  // `host_func_index` (HostFuncState* -> ctx) beyond kHostFuncScan.
  static constexpr size_t kHostFuncScan = 8;
  absl::InlinedVector<std::unique_ptr<HostFuncCtx>, 2> host_func_contexts;
  absl::flat_hash_map<const void*, HostFuncCtx*> host_func_index;
  // The store's fiber for async calls (engine/async_call.h), made on the
  // first one; reset first by ~StoreOpaque.
  std::unique_ptr<AsyncDriver> async_driver;
};

// runtime::Trap -> Trap with symbolized frames.
Trap ConvertTrap(const runtime::Trap& trap);

// The engine's wasm-to-host dispatcher (see trampolines.h).
void HostDispatch(void* host_ctx, void* caller_vmctx, uint8_t* values);

// Runs a host function's callback on raw values; nullopt or the trap.
// `caller_vmctx` is the calling wasm instance's VMContext or null.
std::optional<Trap> InvokeHost(HostFuncData& data, void* caller_vmctx,
                               ValRaw* values);

// Value <-> 16-byte global storage.
void StoreGlobal(abi::VMGlobalDefinition* def, const Val& value);
Val LoadGlobal(const abi::VMGlobalDefinition* def, ValType type,
               StoreId store);

}  // namespace kiln::internal

#endif  // KILN_ENGINE_INTERNAL_H_
