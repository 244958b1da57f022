// Resource limits of a store, after wasmtime's ResourceLimiter /
// StoreLimits / StoreLimitsBuilder.
//
// A store may have one ResourceLimiter (Store::SetLimiter). It is asked
//   - before an instance creates each of its memories and tables (initial
//     sizes: a refusal fails the instantiation with an error naming the
//     memory / table and the limit),
//   - on every memory.grow / table.grow from wasm (a refusal returns -1 and
//     the memory or table keeps its size; an error traps with its message),
//   - on Memory::Grow / Table::Grow and Memory::New / Table::New from the
//     host (a refusal or error is an error Status),
// and its instances() / memories() / tables() bound how many of each the
// store may hold in total (instances, and the memories and tables they
// define or the host creates, are counted for the store's lifetime, like
// wasmtime; instantiation past a count fails with an error naming it).
// Without a limiter nothing is limited (the counts are still kept, so a
// limiter set later sees the store's real totals).
//
// Sizes: memories in bytes, tables in elements. `maximum` is the declared
// maximum of the memory / table type, nullopt when it has none.
#ifndef KILN_ENGINE_LIMITS_H_
#define KILN_ENGINE_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/vm/resource_limiter.h"

namespace kiln {

class StoreOpaque;

class ResourceLimiter {
 public:
  // wasmtime's defaults for the count limits.
  static constexpr size_t kDefaultInstanceLimit = 10000;
  static constexpr size_t kDefaultTableLimit = 10000;
  static constexpr size_t kDefaultMemoryLimit = 10000;

  virtual ~ResourceLimiter() = default;

  // May the memory grow from `current` to `desired` bytes? true: yes;
  // false: refuse (memory.grow returns -1); an error: trap with it (from
  // wasm) or fail the call (host API, instantiation). Instantiation and
  // Memory::New ask with current == 0.
  virtual absl::StatusOr<bool> MemoryGrowing(size_t current, size_t desired,
                                             std::optional<size_t> maximum) = 0;
  // An allowed grow failed anyway (past the declared maximum or 4 GiB, or
  // the kernel refused). An error turns the -1 into a trap.
  virtual absl::Status MemoryGrowFailed(size_t /*current*/,
                                        size_t /*desired*/) {
    return absl::OkStatus();
  }
  // Likewise for tables, in elements.
  virtual absl::StatusOr<bool> TableGrowing(size_t current, size_t desired,
                                            std::optional<size_t> maximum) = 0;
  virtual absl::Status TableGrowFailed(size_t /*current*/, size_t /*desired*/) {
    return absl::OkStatus();
  }

  // How many instances / tables / memories the store may hold in total.
  virtual size_t instances() const { return kDefaultInstanceLimit; }
  virtual size_t tables() const { return kDefaultTableLimit; }
  virtual size_t memories() const { return kDefaultMemoryLimit; }

  // What a refused initial size exceeded, for the error message.
  virtual std::string MemoryLimitDescription() const {
    return "refused by the store's ResourceLimiter";
  }
  virtual std::string TableLimitDescription() const {
    return "refused by the store's ResourceLimiter";
  }
};

// The common limiter: fixed bounds (wasmtime's StoreLimits).
class StoreLimits : public ResourceLimiter {
 public:
  StoreLimits() = default;  // nothing limited beyond the default counts

  absl::StatusOr<bool> MemoryGrowing(size_t current, size_t desired,
                                     std::optional<size_t> maximum) override;
  absl::Status MemoryGrowFailed(size_t current, size_t desired) override;
  absl::StatusOr<bool> TableGrowing(size_t current, size_t desired,
                                    std::optional<size_t> maximum) override;
  absl::Status TableGrowFailed(size_t current, size_t desired) override;
  size_t instances() const override { return instances_; }
  size_t tables() const override { return tables_; }
  size_t memories() const override { return memories_; }
  std::string MemoryLimitDescription() const override;
  std::string TableLimitDescription() const override;

  std::optional<size_t> memory_size() const { return memory_size_; }
  std::optional<size_t> table_elements() const { return table_elements_; }
  bool trap_on_grow_failure() const { return trap_on_grow_failure_; }

 private:
  friend class StoreLimitsBuilder;
  std::optional<size_t> memory_size_;     // bytes, per memory
  std::optional<size_t> table_elements_;  // elements, per table
  size_t instances_ = kDefaultInstanceLimit;
  size_t tables_ = kDefaultTableLimit;
  size_t memories_ = kDefaultMemoryLimit;
  bool trap_on_grow_failure_ = false;
};

class StoreLimitsBuilder {
 public:
  // The most bytes any one linear memory may have (initial or grown).
  StoreLimitsBuilder& MemorySize(size_t bytes) {
    limits_.memory_size_ = bytes;
    return *this;
  }
  // The most elements any one table may have.
  StoreLimitsBuilder& TableElements(size_t elements) {
    limits_.table_elements_ = elements;
    return *this;
  }
  StoreLimitsBuilder& Instances(size_t n) {
    limits_.instances_ = n;
    return *this;
  }
  StoreLimitsBuilder& Tables(size_t n) {
    limits_.tables_ = n;
    return *this;
  }
  StoreLimitsBuilder& Memories(size_t n) {
    limits_.memories_ = n;
    return *this;
  }
  // A failed memory.grow / table.grow (refused by these limits or failing
  // on its own) traps instead of returning -1.
  StoreLimitsBuilder& TrapOnGrowFailure(bool trap) {
    limits_.trap_on_grow_failure_ = trap;
    return *this;
  }
  StoreLimits Build() const { return limits_; }

 private:
  StoreLimits limits_;
};

namespace internal {

// The runtime's view of a store's limiter (runtime/vm/resource_limiter.h):
// one per store, at a stable address, forwarding to whatever limiter the
// store has at the time (none: everything allowed). Also keeps the store's
// instance / memory / table counts.
class StoreLimiterHook final : public runtime::ResourceLimiterHook {
 public:
  explicit StoreLimiterHook(StoreOpaque* store) : store_(store) {}

  void Set(ResourceLimiter* limiter) {
    plain_ = limiter;
    fn_ = nullptr;
  }
  void SetFn(std::function<ResourceLimiter*()> fn) {
    plain_ = nullptr;
    fn_ = std::move(fn);
  }
  ResourceLimiter* limiter() const { return fn_ ? fn_() : plain_; }

  absl::StatusOr<bool> MemoryGrowing(uint64_t current, uint64_t desired,
                                     std::optional<uint64_t> maximum) override;
  absl::Status MemoryGrowFailed(uint64_t current, uint64_t desired) override;
  absl::StatusOr<bool> TableGrowing(uint64_t current, uint64_t desired,
                                    std::optional<uint64_t> maximum) override;
  absl::Status TableGrowFailed(uint64_t current, uint64_t desired) override;
  void OnTrap(const absl::Status& error) override;
  std::string MemoryLimitDescription() const override;
  std::string TableLimitDescription() const override;

  size_t instance_count = 0;
  size_t memory_count = 0;
  size_t table_count = 0;

 private:
  StoreOpaque* store_;
  ResourceLimiter* plain_ = nullptr;
  std::function<ResourceLimiter*()> fn_;
};

// Counts an instance of a module defining `memories` memories and `tables`
// tables into `store`, or fails (kResourceExhausted) naming the count
// that would pass the limiter's bound. Nothing is counted on failure.
absl::Status AdmitInstance(StoreOpaque& store, size_t memories, size_t tables);
// The same for one memory / table the host creates.
absl::Status AdmitHostMemory(StoreOpaque& store);
absl::Status AdmitHostTable(StoreOpaque& store);

}  // namespace internal
}  // namespace kiln

#endif  // KILN_ENGINE_LIMITS_H_
