// LinearMemory: a wasm linear memory (memory32 or memory64, see
// Options::index64) backed by one fixed virtual
// reservation, so its base never moves and compiled code can elide bounds
// checks.
//
// Layout of the reservation (defaults):
//
//   base                       base + length        base + 4 GiB   + 2 GiB
//   | read-write (committed)   | PROT_NONE ...      | guard, PROT_NONE     |
//
// Everything past `length` is PROT_NONE, so an access at
//   base + zext(i32 index) + offset,   with offset + access_size <= kGuardBytes
// either hits committed memory or faults (SIGSEGV). The backend's rule:
// omit the bounds check when the static offset plus the access size is at
// most `guard_bytes()` (and the reservation is `kReservationBytes`);
// otherwise emit an explicit check against VMMemoryDefinition::length.
// Faults are turned into TrapCode::kMemoryOutOfBounds by the trap handler
// via the function's trap table (runtime/code/code_registry.h).
//
// Growing commits pages with mprotect; fresh pages read as zero (they are
// untouched anonymous memory). Destroying the memory unmaps everything.
// Not thread-safe (a store is used by one thread at a time), except a
// shared memory (threads proposal, Options::shared): its Grow is
// serialized by a lock and publishes the new length atomically, its size
// may be read from any thread, and it has a ParkingLot for
// memory.atomic.wait / notify. Its base never moves, like every memory's.
#ifndef KILN_RUNTIME_MEMORY_LINEAR_MEMORY_H_
#define KILN_RUNTIME_MEMORY_LINEAR_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/statusor.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/memory/parking_lot.h"

namespace kiln::runtime {

class LinearMemory {
 public:
  static constexpr uint64_t kWasmPageSize = 65536;
  // memory32: at most 2^16 pages (4 GiB).
  static constexpr uint64_t kMaxPages = 65536;
  static constexpr uint64_t kReservationBytes = uint64_t{4} << 30;
  static constexpr uint64_t kGuardBytes = uint64_t{2} << 30;
  // memory64: at most wasm::kMaxMemory64Bytes (2^47 bytes).
  static constexpr uint64_t kMaxPages64 = (uint64_t{1} << 47) / kWasmPageSize;
  // memory64: the default of Options::max_bytes64 (Config::memory64_max_bytes).
  static constexpr uint64_t kDefaultMaxBytes64 = uint64_t{16} << 30;

  struct Options {
    // Bytes of address space reserved for the memory's own pages; it can
    // never grow past this. Must be a multiple of the wasm page size.
    // Ignored for a 64-bit memory (index64), see max_bytes64.
    uint64_t reservation_bytes = kReservationBytes;
    // PROT_NONE bytes after the reservation.
    uint64_t guard_bytes = kGuardBytes;
    // Memory64 (a 64-bit memory): compiled code checks every access it
    // cannot prove below 4 GiB explicitly against the length. The memory
    // reserves min(declared maximum, max_bytes64) bytes, but at least
    // kReservationBytes so accesses proved below 4 GiB rely on the guard as
    // for memory32; it grows (beyond 4 GiB too) up to that reservation
    // and never moves. Reserving commits nothing (PROT_NONE, NORESERVE).
    bool index64 = false;
    uint64_t max_bytes64 = kDefaultMaxBytes64;
    // A shared memory (threads): thread-safe Grow, a ParkingLot. Only
    // Create makes them (a pool slot is reset on reuse, a shared memory
    // must never be).
    bool shared = false;
    // A pooled memory whose owner commits pages on first touch
    // (runtime/pool/pooling_allocator.h, "Lazy commit"): pages in
    // [*lazy_committed, size) are PROT_NONE and still hold their initial
    // contents; a fault there is made accessible by the owner's
    // FaultResolver (runtime/traps/signal_handlers.h). Grow then only
    // raises the size, and CommitAll makes every page accessible (for
    // code that hands the memory's address to the kernel). Only for
    // CreateInReservation; null: every page below the size is committed.
    std::atomic<uint64_t>* lazy_committed = nullptr;
  };

  // Reserves the address space and commits `min_pages`. `max_pages`, if
  // set, must be >= min_pages and <= kMaxPages (memory64: any maximum; the
  // memory grows at most to its reservation). Fails (with a message
  // naming the sizes) if the limits are invalid or mmap/mprotect fails.
  static absl::StatusOr<std::unique_ptr<LinearMemory>> Create(
      uint64_t min_pages, std::optional<uint64_t> max_pages,
      const Options& options);
  static absl::StatusOr<std::unique_ptr<LinearMemory>> Create(
      uint64_t min_pages, std::optional<uint64_t> max_pages = std::nullopt) {
    return Create(min_pages, max_pages, Options{});
  }

  // A memory inside a reservation it does not own (a pooling allocator's
  // slot, runtime/pool): [base, base + options.reservation_bytes +
  // options.guard_bytes) must be mapped, its first min_pages pages
  // read-write and the rest PROT_NONE. It grows by mprotect like any memory
  // (up to options.reservation_bytes) and never unmaps: the owner resets
  // and reuses the slot. The object itself is constructed at `where`
  // (sizeof(LinearMemory) bytes, aligned for it; the slot holds it too, so
  // instantiation does not allocate): destroy it with ~LinearMemory().
  static absl::StatusOr<LinearMemory*> CreateInReservation(
      void* where, uint8_t* base, uint64_t min_pages,
      std::optional<uint64_t> max_pages, const Options& options);

  LinearMemory(const LinearMemory&) = delete;
  LinearMemory& operator=(const LinearMemory&) = delete;
  ~LinearMemory();

  // memory.grow: adds `delta_pages` zeroed pages. Returns the old size in
  // pages, or -1 if the result would exceed the maximum (declared maximum,
  // kMaxPages, or the reservation) or the kernel refuses. Grow(0) returns
  // the current size.
  int64_t Grow(uint64_t delta_pages);

  uint8_t* base() const { return base_; }
  // Makes every page below the size accessible (a no-op unless the memory
  // commits lazily, Options::lazy_committed). Call before passing the
  // memory's address to anything a fault cannot reach through the signal
  // handler: a system call (read into guest memory fails with EFAULT on a
  // page not yet committed), or the embedder (Memory::data). Returns false
  // when the kernel refuses.
  bool CommitAll();
  uint64_t size_bytes() const {
    return size_bytes_.load(std::memory_order_acquire);
  }
  bool shared() const { return shared_ != nullptr; }
  // The wait queue of a shared memory; null for an unshared one.
  ParkingLot* parking_lot() const {
    return shared_ ? &shared_->parking_lot : nullptr;
  }
  uint64_t size_pages() const { return size_bytes_ / kWasmPageSize; }
  uint64_t min_pages() const { return min_pages_; }
  std::optional<uint64_t> max_pages() const { return max_pages_; }
  // The effective maximum: min(declared max, kMaxPages, reservation).
  uint64_t limit_pages() const { return limit_pages_; }
  uint64_t reservation_bytes() const { return reservation_bytes_; }
  // A 64-bit memory (Options::index64).
  bool index64() const { return index64_; }
  uint64_t guard_bytes() const { return guard_bytes_; }

  // True if `addr` is inside the reservation or its guard (committed or
  // not). Async-signal-safe.
  bool ContainsAddress(uintptr_t addr) const {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(base_);
    return addr >= begin && addr - begin < reservation_bytes_ + guard_bytes_;
  }

  // The {base, length} pair compiled code reads. LinearMemory keeps it
  // current; its address is stable for the memory's lifetime, so it can be
  // what a VMMemoryImport points to.
  const abi::VMMemoryDefinition& definition() const { return definition_; }

  // Also keeps `*target` current (e.g. the VMMemoryDefinition inline in the
  // owning instance's VMContext); writes it immediately. nullptr unbinds.
  void BindDefinition(abi::VMMemoryDefinition* target);

 private:
  LinearMemory() = default;
  static absl::StatusOr<std::unique_ptr<LinearMemory>> Create64(
      uint64_t min_pages, std::optional<uint64_t> max_pages,
      const Options& options);
  // Maps the reservation and commits min_pages (limits already checked);
  // the memory grows to at most type_max_pages.
  static absl::StatusOr<std::unique_ptr<LinearMemory>> Reserve(
      uint64_t min_pages, std::optional<uint64_t> max_pages,
      const Options& options, uint64_t type_max_pages);
  void PublishLength();

  struct SharedState {
    std::mutex grow_mu;
    ParkingLot parking_lot;
  };

  uint8_t* base_ = nullptr;
  // Written under SharedState::grow_mu when shared; read from any thread.
  std::atomic<uint64_t> size_bytes_{0};
  std::unique_ptr<SharedState> shared_;
  uint64_t min_pages_ = 0;
  std::optional<uint64_t> max_pages_;
  uint64_t limit_pages_ = 0;
  uint64_t reservation_bytes_ = 0;
  uint64_t guard_bytes_ = 0;
  bool owns_reservation_ = true;
  std::atomic<uint64_t>* lazy_committed_ = nullptr;
  bool index64_ = false;
  abi::VMMemoryDefinition definition_{};
  abi::VMMemoryDefinition* bound_ = nullptr;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_MEMORY_LINEAR_MEMORY_H_
