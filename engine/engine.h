// Config and Engine: compiler settings, the signature registry and the
// per-signature trampolines. An Engine is a cheap, shareable handle;
// modules and stores keep it alive. Thread-safe.
#ifndef KILN_ENGINE_ENGINE_H_
#define KILN_ENGINE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "codegen/trampolines/trampolines.h"
#include "engine/id_table.h"
#include "engine/shared_ref.h"
#include "runtime/pool/pooling_allocator.h"
#include "runtime/traps/stack_limit.h"
#include "wasm/features.h"
#include "wasm/types.h"

namespace kiln {

// How instances get their VMContext, memories and tables.
enum class InstanceAllocationStrategy {
  // calloc / mmap per instance, munmap on drop (no limits besides the
  // module's own).
  kOnDemand,
  // Preallocated slots (Config::pooling): no mmap per instance, reuse after
  // a store drops, fixed limits; see runtime/pool/pooling_allocator.h.
  kPooling,
};

// Limits of the pooling allocator (wasmtime's PoolingAllocationConfig):
// total_instances, max_memories_per_instance, max_tables_per_instance,
// max_memory_size, max_table_elements, max_instance_size,
// linear_memory_keep_resident, table_keep_resident, decommit_batch_size,
// and lazy_commit (memory pages past keep_resident are committed on first
// touch; Memory::data commits them all, Memory::Read / Write do not).
using PoolingAllocationConfig = runtime::PoolingConfig;

struct Config {
  // Run the optimization passes (const_fold, dce, gvn).
  bool optimize = true;
  // With `optimize`: inline the module's small and single-call-site
  // functions into their callers (codegen/compiler/inline_plan.h).
  bool inline_functions = true;
  // Run the IR verifier after every pass and the register allocator's
  // checker on every function (slow; for debugging and fuzzing).
  bool verify = false;
  // Threads for compiling one module's functions (0 = all cores).
  int compile_threads = 1;
  // Stack budget of one outermost call into wasm.
  size_t max_wasm_stack = runtime::kDefaultMaxWasmStack;
  // Epoch interruption (wasmtime's epoch_interruption): compiled code checks
  // the engine's epoch (Engine::IncrementEpoch) against the store's deadline
  // (StoreOpaque::SetEpochDeadline) at function entries and loop headers
  // and traps "interrupt" (or runs the store's deadline callback) once it
  // is reached. A store's deadline starts at 0: set one before calling wasm.
  bool epoch_interruption = false;
  // Fuel (wasmtime's consume_fuel): every wasm operator costs 1 (nop, drop,
  // block, loop, end, else, unreachable, return: 0); wasm traps "all fuel
  // consumed by WebAssembly" at a function entry or loop header once the
  // store's fuel (StoreOpaque::SetFuel, initially 0) is used up.
  bool consume_fuel = false;
  // kPooling: the engine maps its pool (`pooling`) when it is created;
  // instantiation fails with a clear error when a module exceeds a slot's
  // limits or every slot is in use.
  InstanceAllocationStrategy allocation_strategy =
      InstanceAllocationStrategy::kOnDemand;
  PoolingAllocationConfig pooling;
  // Initialize defined memory 0 of each instance by mapping a per-module
  // copy-on-write image of its data segments (built once per module, on
  // first instantiation or Module::InitializeCopyOnWriteImage) instead of
  // copying the segments (wasmtime's memory_init_cow).
  bool memory_init_cow = true;
  // Memory64: the most bytes a 64-bit memory may hold (up to 2^47). Each
  // 64-bit memory reserves address space for min(its declared maximum,
  // this) bytes, at least 4 GiB, and commits only what it grows to;
  // memory.grow past it returns -1, and instantiation fails when the
  // minimum is above it. The store's ResourceLimiter is asked as for any
  // memory.
  uint64_t memory64_max_bytes = runtime::LinearMemory::kDefaultMaxBytes64;
  // Async support (engine/async_call.h, wasmtime's async_support): calls
  // into wasm go through the async entry points (CallAsync,
  // InstantiateAsync, ...) and run on a fiber, where async host functions
  // (Linker<T>::FuncWrapAsync / FuncNewAsync) and epoch yields suspend
  // them; synchronous calls from outside are errors.
  bool async_support = false;
  // Size of each fiber stack (one per store with an async call; reused
  // through the engine's pool). At least 256 KiB: kHostStackReserve (128
  // KiB) of it is kept for host frames below wasm's stack limit, and wasm
  // gets min(max_wasm_stack, the rest).
  size_t async_stack_size = size_t{2} << 20;
  // WebAssembly proposals beyond 2.0 that modules may use (wasmtime's
  // wasm_tail_call, wasm_extended_const, wasm_multi_memory, wasm_memory64,
  // wasm_threads, wasm_relaxed_simd): one bool per row of
  // wasm/features.def, all on by default (they are standard in
  // WebAssembly 3.0). A module that uses one that is off fails to compile
  // with "... requires the <name> feature, which is disabled"; a .cwasm
  // records the set it was validated with and loads only into an engine
  // that has all of them on.
  wasm::Features wasm_features;
  // Relaxed SIMD (wasmtime's relaxed_simd_deterministic): every relaxed
  // instruction gives the deterministic profile's result of the
  // WebAssembly 3.0 spec (swizzle, the saturating truncations, unfused
  // madd, fmin/fmax, saturating q15mulr, signed dot products, bitselect),
  // the same on every machine. Off: the fastest permitted result the CPU
  // has (e.g. vfmadd with FMA, vblendv with AVX), which may differ between
  // machines. A .cwasm records it.
  bool relaxed_simd_deterministic = false;
};

// Every function type the engine has seen, interned to a dense id. Two
// types are equal exactly when their ids are; call_indirect and import
// checks compare ids.
class SignatureRegistry {
 public:
  uint32_t Intern(const wasm::FuncType& type) ABSL_LOCKS_EXCLUDED(mu_);
  // The type of `id` (an id Intern returned). The reference is stable.
  // Lock-free.
  const wasm::FuncType& Lookup(uint32_t id) const ABSL_LOCKS_EXCLUDED(mu_) {
    if (const wasm::FuncType* t = by_id_.Get(id)) return *t;
    return LookupSlow(id);
  }
  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  const wasm::FuncType& LookupSlow(uint32_t id) const ABSL_LOCKS_EXCLUDED(mu_);

  mutable absl::Mutex mu_;
  internal::IdTable<wasm::FuncType> by_id_;
  absl::flat_hash_map<wasm::FuncType, uint32_t> ids_ ABSL_GUARDED_BY(mu_);
  std::deque<wasm::FuncType> types_ ABSL_GUARDED_BY(mu_);
};

namespace internal {
struct EngineImpl;
}

class Engine {
 public:
  // Installs the trap handlers (once per process) on first use.
  explicit Engine(const Config& config = Config());

  const Config& config() const;
  SignatureRegistry& signatures() const;

  // The array-call (host -> wasm) trampoline of signature `sig`, generated
  // once per engine (lock-free after that).
  absl::StatusOr<trampolines::ArrayCallFn> ArrayCallTrampoline(
      uint32_t sig) const;
  // The wasm-to-host trampoline of `sig` that ends in the engine's host
  // dispatcher.
  absl::StatusOr<const void*> WasmToHostTrampoline(uint32_t sig) const;

  // Status of the one-time trap handler installation.
  absl::Status init_status() const;

  // Advances the epoch by one: wasm in every store of this engine whose
  // deadline is now reached is interrupted at its next check
  // (Config::epoch_interruption). Callable from any thread, including a
  // signal handler (one relaxed atomic add).
  void IncrementEpoch() const;
  // The current epoch (starts at 0).
  uint64_t CurrentEpoch() const;

  // A handle to this engine counted on the calling thread
  // (engine/shared_ref.h), for what the engine holds per store: stores
  // made and dropped on several threads then write no shared reference
  // count. Copies of it are ordinary handles.
  Engine LocalHandle() const { return Engine(impl_.Local()); }

  internal::EngineImpl* impl() const { return impl_.get(); }
  friend bool operator==(const Engine& a, const Engine& b) {
    return a.impl_.get() == b.impl_.get();
  }

 private:
  explicit Engine(internal::SharedRef<internal::EngineImpl> impl)
      : impl_(std::move(impl)) {}
  internal::SharedRef<internal::EngineImpl> impl_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_ENGINE_H_
