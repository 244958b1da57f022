#include "runtime/memory/linear_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kiln::runtime {

absl::StatusOr<std::unique_ptr<LinearMemory>> LinearMemory::Create(
    uint64_t min_pages, std::optional<uint64_t> max_pages,
    const Options& options) {
  if (options.index64) return Create64(min_pages, max_pages, options);
  if (options.reservation_bytes % kWasmPageSize != 0 ||
      options.reservation_bytes > kReservationBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearMemory::Create: reservation of ", options.reservation_bytes,
        " bytes is not a multiple of 64 KiB up to 4 GiB"));
  }
  if (options.guard_bytes % 4096 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearMemory::Create: guard of ", options.guard_bytes,
        " bytes is not a multiple of 4 KiB"));
  }
  if (min_pages > kMaxPages) {
    return absl::InvalidArgumentError(
        absl::StrCat("LinearMemory::Create: minimum of ", min_pages,
                     " pages exceeds 65536"));
  }
  if (max_pages.has_value() && (*max_pages < min_pages || *max_pages > kMaxPages)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearMemory::Create: maximum of ", *max_pages,
        " pages is below the minimum ", min_pages, " or above 65536"));
  }
  const uint64_t reservation_pages = options.reservation_bytes / kWasmPageSize;
  if (min_pages > reservation_pages) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "LinearMemory::Create: minimum of ", min_pages,
        " pages does not fit the reservation of ", reservation_pages,
        " pages"));
  }

  return Reserve(min_pages, max_pages, options, kMaxPages);
}

absl::StatusOr<std::unique_ptr<LinearMemory>> LinearMemory::Create64(
    uint64_t min_pages, std::optional<uint64_t> max_pages,
    const Options& options) {
  if (max_pages.has_value() && *max_pages < min_pages) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearMemory::Create: maximum of ", *max_pages,
        " pages is below the minimum ", min_pages));
  }
  if (options.guard_bytes % 4096 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearMemory::Create: guard of ", options.guard_bytes,
        " bytes is not a multiple of 4 KiB"));
  }
  const uint64_t cap_pages =
      std::min(options.max_bytes64 / kWasmPageSize, kMaxPages64);
  if (min_pages > cap_pages) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "LinearMemory::Create: 64-bit memory minimum of ", min_pages,
        " pages is above the configured maximum of ", cap_pages * kWasmPageSize,
        " bytes (Config::memory64_max_bytes)"));
  }
  Options o = options;
  const uint64_t pages = std::min(max_pages.value_or(cap_pages), cap_pages);
  o.reservation_bytes = std::max(pages * kWasmPageSize, kReservationBytes);
  return Reserve(min_pages, max_pages, o, kMaxPages64);
}

absl::StatusOr<std::unique_ptr<LinearMemory>> LinearMemory::Reserve(
    uint64_t min_pages, std::optional<uint64_t> max_pages,
    const Options& options, uint64_t type_max_pages) {
  const uint64_t reservation_pages = options.reservation_bytes / kWasmPageSize;
  const uint64_t total = options.reservation_bytes + options.guard_bytes;
  void* p = total == 0 ? nullptr
                       : mmap(nullptr, total, PROT_NONE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "LinearMemory::Create: reserving ", total,
        " bytes of address space failed: ", std::strerror(errno)));
  }
  std::unique_ptr<LinearMemory> memory(new LinearMemory());
  memory->base_ = static_cast<uint8_t*>(p);
  memory->min_pages_ = min_pages;
  memory->max_pages_ = max_pages;
  memory->reservation_bytes_ = options.reservation_bytes;
  memory->guard_bytes_ = options.guard_bytes;
  memory->index64_ = options.index64;
  memory->limit_pages_ = std::min(
      {max_pages.value_or(type_max_pages), type_max_pages, reservation_pages});
  memory->definition_.base = memory->base_;
  if (options.shared) memory->shared_ = std::make_unique<SharedState>();
  if (min_pages > 0 && memory->Grow(min_pages) < 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "LinearMemory::Create: committing ", min_pages, " pages failed"));
  }
  return memory;
}

absl::StatusOr<LinearMemory*> LinearMemory::CreateInReservation(
    void* where, uint8_t* base, uint64_t min_pages,
    std::optional<uint64_t> max_pages, const Options& options) {
  const uint64_t reservation_pages = options.reservation_bytes / kWasmPageSize;
  if (base == nullptr || min_pages > reservation_pages ||
      (max_pages.has_value() && *max_pages < min_pages)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "LinearMemory::CreateInReservation: minimum of ", min_pages,
        " pages is above the maximum or the reservation of ",
        reservation_pages, " pages"));
  }
  auto* memory = new (where) LinearMemory();
  memory->base_ = base;
  memory->owns_reservation_ = false;
  memory->min_pages_ = min_pages;
  memory->max_pages_ = max_pages;
  memory->reservation_bytes_ = options.reservation_bytes;
  memory->guard_bytes_ = options.guard_bytes;
  memory->limit_pages_ =
      std::min({max_pages.value_or(kMaxPages), kMaxPages, reservation_pages});
  memory->size_bytes_ = min_pages * kWasmPageSize;  // the owner made it RW
  memory->lazy_committed_ = options.lazy_committed;
  memory->PublishLength();
  return memory;
}

bool LinearMemory::CommitAll() {
  if (lazy_committed_ == nullptr) return true;
  const uint64_t committed = lazy_committed_->load(std::memory_order_acquire);
  const uint64_t size = size_bytes();
  if (committed >= size) return true;
  if (mprotect(base_ + committed, size - committed, PROT_READ | PROT_WRITE) !=
      0) {
    return false;
  }
  lazy_committed_->store(size, std::memory_order_release);
  return true;
}

LinearMemory::~LinearMemory() {
  if (base_ != nullptr && owns_reservation_) {
    munmap(base_, reservation_bytes_ + guard_bytes_);
  }
}

int64_t LinearMemory::Grow(uint64_t delta_pages) {
  // Threads of a shared memory grow it one at a time; each sees the size
  // the one before it left.
  std::unique_lock<std::mutex> lock;
  if (shared_) lock = std::unique_lock<std::mutex>(shared_->grow_mu);
  const uint64_t old_pages = size_pages();
  if (delta_pages == 0) return static_cast<int64_t>(old_pages);
  if (delta_pages > limit_pages_ - old_pages) return -1;
  const uint64_t delta_bytes = delta_pages * kWasmPageSize;
  // A lazily committed memory's new pages stay PROT_NONE until touched.
  if (lazy_committed_ == nullptr &&
      mprotect(base_ + size_bytes(), delta_bytes, PROT_READ | PROT_WRITE) !=
      0) {
    return -1;
  }
  // Published after mprotect: a thread that sees the new length can use it.
  size_bytes_.fetch_add(delta_bytes, std::memory_order_release);
  PublishLength();
  return static_cast<int64_t>(old_pages);
}

void LinearMemory::BindDefinition(abi::VMMemoryDefinition* target) {
  bound_ = target;
  PublishLength();
}

void LinearMemory::PublishLength() {
  // Compiled code on other threads reads `length` (explicit bounds checks)
  // while a shared memory grows: one atomic store each.
  const uint64_t length = size_bytes();
  definition_.base = base_;
  std::atomic_ref<uint64_t>(definition_.length)
      .store(length, std::memory_order_release);
  if (bound_ != nullptr) {
    bound_->base = base_;
    std::atomic_ref<uint64_t>(bound_->length)
        .store(length, std::memory_order_release);
  }
}

}  // namespace kiln::runtime
