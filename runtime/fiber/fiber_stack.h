// Stacks for fibers: an mmap'd region with a PROT_NONE guard page below it,
// and a pool that hands the same stacks out again.
#ifndef KILN_RUNTIME_FIBER_FIBER_STACK_H_
#define KILN_RUNTIME_FIBER_FIBER_STACK_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"

namespace kiln::runtime {

// One fiber stack: [bottom(), top()) is usable (read/write, committed on
// first touch: MAP_NORESERVE), the page below bottom() is a guard page, so
// running off the end faults instead of corrupting memory. Move-only.
class FiberStack {
 public:
  // `size` is rounded up to whole pages; at least one page.
  static absl::StatusOr<FiberStack> Create(size_t size);

  FiberStack() = default;
  FiberStack(FiberStack&& other) noexcept;
  FiberStack& operator=(FiberStack&& other) noexcept;
  ~FiberStack();

  bool valid() const { return mapping_ != nullptr; }
  uintptr_t bottom() const { return bottom_; }  // lowest usable address
  uintptr_t top() const { return bottom_ + size_; }  // one past the highest
  size_t size() const { return size_; }
  // The guard page's address range [guard_begin(), bottom()).
  uintptr_t guard_begin() const {
    return reinterpret_cast<uintptr_t>(mapping_);
  }

 private:
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  uintptr_t bottom_ = 0;
  size_t size_ = 0;
};

// Stacks of one size, reused: Release keeps up to `max_cached` stacks
// (their pages stay committed, so a reused stack does not fault again) and
// Acquire takes the most recently released one first. Thread-safe: a
// std::mutex, not absl::Mutex, because Debian's abseil is built without
// ThreadSanitizer, which then cannot see its locking and reports races
// between Acquire and Release on other threads.
class FiberStackPool {
 public:
  FiberStackPool(size_t stack_size, size_t max_cached);
  FiberStackPool(const FiberStackPool&) = delete;
  FiberStackPool& operator=(const FiberStackPool&) = delete;

  size_t stack_size() const { return stack_size_; }
  absl::StatusOr<FiberStack> Acquire();
  void Release(FiberStack stack);
  // Stacks waiting in the pool / ever created by it.
  size_t cached() const;
  size_t created() const;

 private:
  const size_t stack_size_;
  const size_t max_cached_;
  mutable std::mutex mu_;
  std::vector<FiberStack> free_;  // guarded by mu_
  size_t created_ = 0;            // guarded by mu_
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_FIBER_FIBER_STACK_H_
