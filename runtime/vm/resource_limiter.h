// ResourceLimiterHook: what a runtime::Instance asks before it creates or
// grows a linear memory or a table. The engine implements it per store
// (engine/limits.h, on top of the embedder's kiln::ResourceLimiter); the
// runtime knows nothing about stores or embedders.
//
// Every method answers with StatusOr<bool>:
//   true   go ahead,
//   false  refuse: memory.grow / table.grow return -1, creation fails,
//   error  trap (from wasm) or fail (creation / host API) with its message.
// Sizes are bytes for memories and elements for tables; `maximum` is the
// declared maximum (nullopt when the type has none).
#ifndef KILN_RUNTIME_VM_RESOURCE_LIMITER_H_
#define KILN_RUNTIME_VM_RESOURCE_LIMITER_H_

#include <cstdint>
#include <optional>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/vm/table.h"

namespace kiln::runtime {

class ResourceLimiterHook {
 public:
  virtual ~ResourceLimiterHook() = default;

  // Creation asks with current == 0 and desired == the initial size.
  virtual absl::StatusOr<bool> MemoryGrowing(
      uint64_t current_bytes, uint64_t desired_bytes,
      std::optional<uint64_t> maximum_bytes) = 0;
  // The grow was allowed but failed anyway (declared maximum, reservation,
  // the kernel). An error turns the -1 into a trap.
  virtual absl::Status MemoryGrowFailed(uint64_t current_bytes,
                                        uint64_t desired_bytes) = 0;
  virtual absl::StatusOr<bool> TableGrowing(
      uint64_t current_elements, uint64_t desired_elements,
      std::optional<uint64_t> maximum_elements) = 0;
  virtual absl::Status TableGrowFailed(uint64_t current_elements,
                                       uint64_t desired_elements) = 0;

  // Called with the error of one of the above just before the runtime
  // raises TrapCode::kHostError from a memory.grow / table.grow builtin,
  // so the embedder's trap can carry the message (the runtime itself only
  // has the code).
  virtual void OnTrap(const absl::Status& error) = 0;

  // The limit a refusal came from, for creation errors ("StoreLimits
  // memory_size = 1048576 bytes"); the runtime only knows it was refused.
  virtual std::string MemoryLimitDescription() const = 0;
  virtual std::string TableLimitDescription() const = 0;
};

// Admission of a new memory / table of the given initial size (instance
// creation and the host API's Memory::New / Table::New). OK when `limiter`
// is null or allows it; otherwise kResourceExhausted naming the place
// ("<what> <index>", e.g. "Instance::Create: memory 0"), the size and the
// limit, or the limiter's own error. No allocation when admitted (it runs
// on the instantiation path).
absl::Status AdmitMemory(ResourceLimiterHook* limiter, const char* what,
                         uint32_t index, uint64_t min_pages,
                         std::optional<uint64_t> max_pages);
absl::Status AdmitTable(ResourceLimiterHook* limiter, const char* what,
                        uint32_t index, uint64_t min_elements,
                        std::optional<uint64_t> max_elements);

// memory.grow / table.grow under a limiter (which may be null). `old` is
// the previous size (pages / elements) or -1 when refused or failed;
// `error` is set when the limiter turned it into a trap (then old == -1).
struct LimitedGrow {
  int64_t old = -1;
  absl::Status error;
};
LimitedGrow GrowMemory(LinearMemory& memory, uint64_t delta_pages,
                       ResourceLimiterHook* limiter);
LimitedGrow GrowTable(Table& table, uint32_t delta, void* init,
                      ResourceLimiterHook* limiter);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_VM_RESOURCE_LIMITER_H_
