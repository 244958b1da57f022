#include "runtime/vm/resource_limiter.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {
namespace {

// The limiter's error, named for the place (creation errors only; a grow's
// error becomes the trap message as the embedder wrote it).
absl::Status Prefixed(const char* what, uint32_t index,
                      const absl::Status& s) {
  return absl::Status(s.code(),
                      absl::StrCat(what, " ", index, ": ", s.message()));
}

}  // namespace

absl::Status AdmitMemory(ResourceLimiterHook* limiter, const char* what,
                         uint32_t index, uint64_t min_pages,
                         std::optional<uint64_t> max_pages) {
  if (limiter == nullptr) return absl::OkStatus();
  // Saturated: a memory64 type may declare up to 2^48 pages (2^64 bytes).
  auto to_bytes = [](uint64_t pages) {
    return pages > UINT64_MAX / LinearMemory::kWasmPageSize
               ? UINT64_MAX
               : pages * LinearMemory::kWasmPageSize;
  };
  const uint64_t bytes = to_bytes(min_pages);
  std::optional<uint64_t> max_bytes;
  if (max_pages.has_value()) max_bytes = to_bytes(*max_pages);
  absl::StatusOr<bool> allowed = limiter->MemoryGrowing(0, bytes, max_bytes);
  if (!allowed.ok()) return Prefixed(what, index, allowed.status());
  if (!*allowed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, " ", index, ": initial size of ", min_pages, " pages (", bytes,
        " bytes) exceeds the resource limit (",
        limiter->MemoryLimitDescription(), ")"));
  }
  return absl::OkStatus();
}

absl::Status AdmitTable(ResourceLimiterHook* limiter, const char* what,
                        uint32_t index, uint64_t min_elements,
                        std::optional<uint64_t> max_elements) {
  if (limiter == nullptr) return absl::OkStatus();
  absl::StatusOr<bool> allowed =
      limiter->TableGrowing(0, min_elements, max_elements);
  if (!allowed.ok()) return Prefixed(what, index, allowed.status());
  if (!*allowed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        what, " ", index, ": initial size of ", min_elements,
        " elements exceeds the resource limit (",
        limiter->TableLimitDescription(), ")"));
  }
  return absl::OkStatus();
}

LimitedGrow GrowMemory(LinearMemory& memory, uint64_t delta_pages,
                       ResourceLimiterHook* limiter) {
  LimitedGrow r;
  // Growing by 0 cannot allocate anything: no question to ask.
  if (limiter == nullptr || delta_pages == 0) {
    r.old = memory.Grow(delta_pages);
    return r;
  }
  const uint64_t current = memory.size_bytes();
  // Saturated: a memory64 delta may be up to 2^64 - 1 pages.
  const uint64_t desired =
      delta_pages > (UINT64_MAX - current) / LinearMemory::kWasmPageSize
          ? UINT64_MAX
          : current + delta_pages * LinearMemory::kWasmPageSize;
  // Past the memory's own limit (declared max, 4 GiB, reservation) the grow
  // fails whatever the limiter says; like wasmtime, it is then only told
  // about the failure.
  if (delta_pages <= memory.limit_pages() - memory.size_pages()) {
    std::optional<uint64_t> max_bytes;
    if (memory.max_pages().has_value()) {
      max_bytes = std::min(*memory.max_pages(), LinearMemory::kMaxPages64) *
                  LinearMemory::kWasmPageSize;
    }
    absl::StatusOr<bool> allowed =
        limiter->MemoryGrowing(current, desired, max_bytes);
    if (!allowed.ok()) {
      r.error = allowed.status();
      return r;
    }
    if (!*allowed) return r;  // refused: -1, the memory keeps its size
    r.old = memory.Grow(delta_pages);
    if (r.old >= 0) return r;
  }
  r.error = limiter->MemoryGrowFailed(current, desired);
  return r;
}

LimitedGrow GrowTable(Table& table, uint32_t delta, void* init,
                      ResourceLimiterHook* limiter) {
  LimitedGrow r;
  if (limiter == nullptr || delta == 0) {
    r.old = table.Grow(delta, init);
    return r;
  }
  const uint64_t current = table.size();
  const uint64_t desired = current + delta;
  const uint64_t limit =
      std::min<uint64_t>(table.max().value_or(Table::kMaxElements),
                         Table::kMaxElements);
  if (desired <= limit) {
    std::optional<uint64_t> max;
    if (table.max().has_value()) max = *table.max();
    absl::StatusOr<bool> allowed = limiter->TableGrowing(current, desired, max);
    if (!allowed.ok()) {
      r.error = allowed.status();
      return r;
    }
    if (!*allowed) return r;
    r.old = table.Grow(delta, init);
    if (r.old >= 0) return r;
  }
  r.error = limiter->TableGrowFailed(current, desired);
  return r;
}

}  // namespace kiln::runtime
