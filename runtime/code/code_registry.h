// The process-wide registry of wasm code: pc -> (module, function, trap
// code). The trap signal handler and the backtrace walker use it.
//
// A module's compiled code is one contiguous CodeRange, described by
//   - FunctionRange[]: [start, end) code offsets of each function and its
//     wasm function index, sorted by start, not overlapping;
//   - TrapSite[]: code offset of every instruction that may fault on purpose
//     (a load/store into the guard region, ud2, idiv, ...) and the TrapCode
//     it means, sorted by offset. For a fault the offset is that of the
//     faulting instruction itself (what the kernel reports as the pc).
// All arrays are owned by the registrant and must stay unchanged and alive
// until Unregister returns.
//
// Concurrency: registration is rare (module load/unload) and lookups happen
// inside signal handlers, so the registry is an immutable sorted array of
// CodeRange pointers published through one atomic pointer. Lookup
// (async-signal-safe, lock-free, no allocation): bump an "active readers"
// counter, load the current array, binary-search, drop the counter.
// Register/Unregister (under a mutex): build a new array, swap it in, then
// wait until the readers counter is zero before freeing the old array -- so
// a handler on another thread never reads a freed array. The wait is a
// short spin (readers only binary-search); it can only be prolonged by a
// constant stream of faults on other threads. Never call Register or
// Unregister from a signal handler.
#ifndef KILN_RUNTIME_CODE_CODE_REGISTRY_H_
#define KILN_RUNTIME_CODE_CODE_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "runtime/abi/trap_code.h"

namespace kiln::runtime {

struct FunctionRange {
  uint32_t start;       // code offset of the first instruction
  uint32_t end;         // one past the last byte
  uint32_t func_index;  // wasm function index (imports included)
};

struct TrapSite {
  uint32_t code_offset;
  abi::TrapCode code;
};

// One registered block of wasm code (typically a module's whole text).
struct CodeRange {
  uintptr_t start = 0;
  uintptr_t end = 0;            // one past the last byte
  const void* owner = nullptr;  // opaque to the runtime (e.g. the Module)
  absl::Span<const FunctionRange> functions;  // sorted by start
  absl::Span<const TrapSite> trap_sites;      // sorted by code_offset

  bool Contains(uintptr_t pc) const { return pc >= start && pc < end; }
  // The function containing `pc`, or nullptr. Async-signal-safe.
  const FunctionRange* LookupFunction(uintptr_t pc) const;
  // The trap code of the trap site exactly at `pc`. Async-signal-safe.
  std::optional<abi::TrapCode> LookupTrap(uintptr_t pc) const;
  // Checks sortedness, bounds and non-overlap (for Register).
  absl::Status Validate() const;
};

class CodeRegistry {
 public:
  // The process-wide registry the trap handler consults.
  static CodeRegistry& Global();

  CodeRegistry() = default;
  CodeRegistry(const CodeRegistry&) = delete;
  CodeRegistry& operator=(const CodeRegistry&) = delete;
  ~CodeRegistry();

  // Adds `range` (validated; must not overlap a registered range).
  absl::Status Register(const CodeRange* range) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes `range`; when it returns no thread still reads it through the
  // registry. No-op if not registered.
  void Unregister(const CodeRange* range) ABSL_LOCKS_EXCLUDED(mu_);

  // The range containing `pc`, or nullptr. Async-signal-safe, lock-free.
  // The pointer stays valid while its registrant keeps it registered.
  const CodeRange* Lookup(uintptr_t pc) const;

  size_t size() const;

 private:
  struct Snapshot;
  void Publish(Snapshot* next) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::Mutex mu_;
  std::atomic<Snapshot*> current_{nullptr};
  mutable std::atomic<int64_t> readers_{0};
};

// RAII registration in CodeRegistry::Global().
class ScopedCodeRegistration {
 public:
  ScopedCodeRegistration() = default;
  ScopedCodeRegistration(const ScopedCodeRegistration&) = delete;
  ScopedCodeRegistration& operator=(const ScopedCodeRegistration&) = delete;
  ~ScopedCodeRegistration() { Reset(); }
  absl::Status Register(const CodeRange* range);
  void Reset();

 private:
  const CodeRange* range_ = nullptr;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_CODE_CODE_REGISTRY_H_
