#include "engine/limits.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "engine/store.h"

namespace kiln {

// --- StoreLimits

absl::StatusOr<bool> StoreLimits::MemoryGrowing(size_t /*current*/,
                                                size_t desired,
                                                std::optional<size_t>) {
  if (!memory_size_.has_value() || desired <= *memory_size_) return true;
  if (trap_on_grow_failure_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "memory growth to ", desired, " bytes exceeds the StoreLimits "
        "memory_size of ", *memory_size_, " bytes (trap_on_grow_failure)"));
  }
  return false;
}

absl::Status StoreLimits::MemoryGrowFailed(size_t current, size_t desired) {
  if (!trap_on_grow_failure_) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("memory cannot grow from ", current, " to ", desired,
                   " bytes (trap_on_grow_failure)"));
}

absl::StatusOr<bool> StoreLimits::TableGrowing(size_t /*current*/,
                                               size_t desired,
                                               std::optional<size_t>) {
  if (!table_elements_.has_value() || desired <= *table_elements_) return true;
  if (trap_on_grow_failure_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "table growth to ", desired, " elements exceeds the StoreLimits "
        "table_elements of ", *table_elements_, " (trap_on_grow_failure)"));
  }
  return false;
}

absl::Status StoreLimits::TableGrowFailed(size_t current, size_t desired) {
  if (!trap_on_grow_failure_) return absl::OkStatus();
  return absl::ResourceExhaustedError(
      absl::StrCat("table cannot grow from ", current, " to ", desired,
                   " elements (trap_on_grow_failure)"));
}

std::string StoreLimits::MemoryLimitDescription() const {
  if (!memory_size_.has_value()) return "StoreLimits memory_size unlimited";
  return absl::StrCat("StoreLimits memory_size = ", *memory_size_, " bytes");
}

std::string StoreLimits::TableLimitDescription() const {
  if (!table_elements_.has_value()) {
    return "StoreLimits table_elements unlimited";
  }
  return absl::StrCat("StoreLimits table_elements = ", *table_elements_);
}

namespace internal {

// --- StoreLimiterHook

absl::StatusOr<bool> StoreLimiterHook::MemoryGrowing(
    uint64_t current, uint64_t desired, std::optional<uint64_t> maximum) {
  ResourceLimiter* l = limiter();
  if (l == nullptr) return true;
  return l->MemoryGrowing(current, desired, maximum);
}

absl::Status StoreLimiterHook::MemoryGrowFailed(uint64_t current,
                                                uint64_t desired) {
  ResourceLimiter* l = limiter();
  if (l == nullptr) return absl::OkStatus();
  return l->MemoryGrowFailed(current, desired);
}

absl::StatusOr<bool> StoreLimiterHook::TableGrowing(
    uint64_t current, uint64_t desired, std::optional<uint64_t> maximum) {
  ResourceLimiter* l = limiter();
  if (l == nullptr) return true;
  return l->TableGrowing(current, desired, maximum);
}

absl::Status StoreLimiterHook::TableGrowFailed(uint64_t current,
                                               uint64_t desired) {
  ResourceLimiter* l = limiter();
  if (l == nullptr) return absl::OkStatus();
  return l->TableGrowFailed(current, desired);
}

void StoreLimiterHook::OnTrap(const absl::Status& error) {
  // Func::Call picks this up in place of the bare kHostError trap.
  store_->impl().pending_trap = Trap::Host(std::string(error.message()));
}

std::string StoreLimiterHook::MemoryLimitDescription() const {
  ResourceLimiter* l = limiter();
  return l == nullptr ? "no limiter" : l->MemoryLimitDescription();
}

std::string StoreLimiterHook::TableLimitDescription() const {
  ResourceLimiter* l = limiter();
  return l == nullptr ? "no limiter" : l->TableLimitDescription();
}

namespace {

absl::Status CountExceeded(const char* what, size_t count, size_t adding,
                           size_t limit) {
  return absl::ResourceExhaustedError(absl::StrCat(
      "resource limit exceeded: the store holds ", count, " ", what,
      ", adding ", adding, " would pass the limiter's limit of ", limit));
}

}  // namespace

absl::Status AdmitInstance(StoreOpaque& store, size_t memories,
                           size_t tables) {
  StoreLimiterHook& hook = *store.limiter_hook();
  if (ResourceLimiter* l = hook.limiter()) {
    if (hook.instance_count + 1 > l->instances()) {
      return CountExceeded("instances", hook.instance_count, 1, l->instances());
    }
    if (hook.memory_count + memories > l->memories()) {
      return CountExceeded("memories", hook.memory_count, memories,
                           l->memories());
    }
    if (hook.table_count + tables > l->tables()) {
      return CountExceeded("tables", hook.table_count, tables, l->tables());
    }
  }
  ++hook.instance_count;
  hook.memory_count += memories;
  hook.table_count += tables;
  return absl::OkStatus();
}

absl::Status AdmitHostMemory(StoreOpaque& store) {
  StoreLimiterHook& hook = *store.limiter_hook();
  if (ResourceLimiter* l = hook.limiter();
      l != nullptr && hook.memory_count + 1 > l->memories()) {
    return CountExceeded("memories", hook.memory_count, 1, l->memories());
  }
  ++hook.memory_count;
  return absl::OkStatus();
}

absl::Status AdmitHostTable(StoreOpaque& store) {
  StoreLimiterHook& hook = *store.limiter_hook();
  if (ResourceLimiter* l = hook.limiter();
      l != nullptr && hook.table_count + 1 > l->tables()) {
    return CountExceeded("tables", hook.table_count, 1, l->tables());
  }
  ++hook.table_count;
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace kiln
