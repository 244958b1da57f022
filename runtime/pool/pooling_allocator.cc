#include "runtime/pool/pooling_allocator.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "runtime/traps/signal_handlers.h"

namespace kiln::runtime {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kLowMask = 0xffffffffu;

uint64_t RoundUp(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

absl::StatusOr<uint8_t*> Reserve(uint64_t bytes, int prot, const char* what) {
  if (bytes == 0) return nullptr;
  void* p = mmap(nullptr, bytes, prot,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "pooling allocator: reserving ", bytes, " bytes for ", what,
        " failed: ", std::strerror(errno)));
  }
  return static_cast<uint8_t*>(p);
}

// At most this many per-CPU shards of free slots.
constexpr uint64_t kMaxShards = 64;

// Ranges given back per process_madvise call (below UIO_MAXIOV).
constexpr size_t kDecommitChunk = 256;
// Lazy commit: a fault commits at least this much more of the memory.
constexpr uint64_t kMinLazyCommit = 64 * 1024;
// Bytes given back per process_madvise call: the kernel takes at most
// MAX_RW_COUNT (INT_MAX rounded down to a page) of an iovec array and
// reports the rest as not done, and batches of large memories reach that
// (a batch left by a busy drain grows past 64 slots). This is that limit
// for pages of up to 64 KiB: a batch of 64 memories of 16 MiB plus a page
// (1.004 GiB) is one call, not two (each call is a syscall, which on 2
// threads also moves the process's kernel state between CPUs).
constexpr uint64_t kDecommitChunkBytes =
    (uint64_t{1} << 31) - (uint64_t{1} << 16);

}  // namespace

void PoolingAllocator::ResetRegion(uint32_t slot, uint8_t* p, uint64_t used,
                                   uint64_t keep) {
  if (used == 0) return;
  const uint64_t by_memset = std::min(RoundUp(keep, kPage), used);
  if (by_memset > 0) std::memset(p, 0, by_memset);
  if (by_memset < used) {
    // by_memset is page aligned here (it is below `used`).
    QueueDecommit(slot, p + by_memset, RoundUp(used, kPage) - by_memset);
  }
}

void PoolingAllocator::QueueDecommit(uint32_t slot, uint8_t* p,
                                     uint64_t len) {
  if (len == 0) return;
  SlotState& s = slots_[slot];
  // Capacity: one range for the instance block, one per table and memory.
  iovec& range = pending_ranges_[uint64_t{slot} * pending_per_slot_ +
                                 s.num_pending++];
  range.iov_base = p;
  range.iov_len = len;
}

// MADV_DONTNEED: anonymous pages read as zero again, private file pages
// (a memory image) as the file.
void PoolingAllocator::Decommit(const iovec* ranges, size_t n) {
  if (n == 0) return;
  if (pidfd_ >= 0 && use_process_madvise_.load(std::memory_order_relaxed)) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) total += ranges[i].iov_len;
    const long done =
        syscall(SYS_process_madvise, pidfd_, ranges, n, MADV_DONTNEED, 0);
    if (done >= 0 && static_cast<uint64_t>(done) == total) return;
    if (done < 0 && (errno == EINVAL || errno == ENOSYS || errno == EPERM)) {
      // A kernel before 6.13 (no MADV_DONTNEED through process_madvise) or
      // a sandbox: stop asking.
      use_process_madvise_.store(false, std::memory_order_relaxed);
    }
    // Partial: the ranges are done in order, so skip the ones done in
    // full and do the rest by themselves (madvise is idempotent).
    if (done > 0) {
      uint64_t skip = static_cast<uint64_t>(done);
      while (n > 0 && ranges->iov_len <= skip) {
        skip -= ranges->iov_len;
        ++ranges;
        --n;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    madvise(ranges[i].iov_base, ranges[i].iov_len, MADV_DONTNEED);
  }
}

void PoolingAllocator::PushChain(std::atomic<uint64_t>& head, uint32_t first,
                                 uint32_t last, std::memory_order order) {
  uint64_t h = head.load(std::memory_order_relaxed);
  for (;;) {
    slots_[last].next.store(static_cast<uint32_t>(h & kLowMask),
                            std::memory_order_relaxed);
    const uint64_t desired = (((h >> 32) + 1) << 32) | (first + 1);
    if (head.compare_exchange_weak(h, desired, order,
                                   std::memory_order_relaxed)) {
      return;
    }
  }
}

PoolingAllocator::Shard& PoolingAllocator::HomeShard() {
  if (num_shards_ == 1) return shards_[0];
  // glibc reads the CPU from rseq (a load): cheap enough per call. A thread
  // that migrates just uses another shard from then on.
  const int cpu = sched_getcpu();
  return shards_[cpu < 0 ? 0 : static_cast<uint32_t>(cpu) % num_shards_];
}

std::optional<uint32_t> PoolingAllocator::Pop(Shard& shard) {
  uint64_t head = shard.free_head.load(std::memory_order_acquire);
  for (;;) {
    const uint32_t top = static_cast<uint32_t>(head & kLowMask);
    if (top == 0) return std::nullopt;
    // May read the link of a slot another thread just popped; then the
    // head's tag has changed and the CAS below fails.
    const uint32_t next = slots_[top - 1].next.load(std::memory_order_relaxed);
    const uint64_t desired = (((head >> 32) + 1) << 32) | next;
    if (shard.free_head.compare_exchange_weak(head, desired,
                                              std::memory_order_acquire,
                                              std::memory_order_acquire)) {
      return top - 1;
    }
  }
}

uint32_t PoolingAllocator::DrainDirty(Shard& shard, bool wait) {
  // One thread gives pages back at a time. Two threads zapping pages of
  // one process at once make the kernel flush the whole TLB of every CPU
  // the process runs on, by IPI, at the end of each call (tlb_finish_mmu:
  // "parallel PTE batching threads"): on 2 threads that was the largest
  // cost that grew with the second thread. A release that finds another
  // drain running leaves its batch for later (the next release, or an
  // acquire that finds no free slot, which waits here).
  if (wait) {
    decommit_mu_.Lock();
  } else if (!decommit_mu_.TryLock()) {
    return 0;
  }
  const uint32_t n = DrainDirtyLocked(shard);
  decommit_mu_.Unlock();
  return n;
}

uint32_t PoolingAllocator::DrainDirtyLocked(Shard& shard) {
  draining_.fetch_add(1);
  // Take the whole dirty stack.
  uint64_t head = shard.dirty_head.load(std::memory_order_acquire);
  while ((head & kLowMask) != 0 &&
         !shard.dirty_head.compare_exchange_weak(
             head, ((head >> 32) + 1) << 32, std::memory_order_acquire,
             std::memory_order_acquire)) {
  }
  const uint32_t first = static_cast<uint32_t>(head & kLowMask);
  if (first == 0) {
    draining_.fetch_sub(1);
    return 0;
  }
  // The chain is ours now. Count it first, so releases on other threads
  // see the batch as taken and do not start a drain of a handful of slots
  // (each call is one TLB shootdown) while this one runs.
  uint32_t taken = 0;
  for (uint32_t link = first; link != 0;
       link = slots_[link - 1].next.load(std::memory_order_relaxed)) {
    ++taken;
  }
  shard.dirty_count.fetch_sub(taken);
  // Give back its ranges, a chunk per call.
  iovec batch[kDecommitChunk];
  size_t n = 0;
  uint64_t bytes = 0;
  uint32_t count = 0;
  uint32_t last = first - 1;
  for (uint32_t link = first; link != 0;
       link = slots_[link - 1].next.load(std::memory_order_relaxed)) {
    const uint32_t slot = link - 1;
    SlotState& s = slots_[slot];
    const iovec* ranges = &pending_ranges_[uint64_t{slot} * pending_per_slot_];
    for (uint32_t r = 0; r < s.num_pending; ++r) {
      if (n == kDecommitChunk ||
          (n > 0 && bytes + ranges[r].iov_len > kDecommitChunkBytes)) {
        Decommit(batch, n);
        n = 0;
        bytes = 0;
      }
      batch[n++] = ranges[r];
      bytes += ranges[r].iov_len;
    }
    s.num_pending = 0;
    last = slot;
    ++count;
  }
  Decommit(batch, n);
  // Release: the resets happen before the next owner's acquire.
  PushChain(shard.free_head, first - 1, last, std::memory_order_release);
  draining_.fetch_sub(1);
  return count;
}

absl::StatusOr<std::unique_ptr<PoolingAllocator>> PoolingAllocator::Create(
    const PoolingConfig& config) {
  if (config.total_instances == 0 || config.total_instances >= kLowMask) {
    return absl::InvalidArgumentError(
        absl::StrCat("pooling allocator: total_instances must be between 1 "
                     "and 2^32 - 2, got ",
                     config.total_instances));
  }
  if (config.max_memory_size > LinearMemory::kReservationBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pooling allocator: max_memory_size of ", config.max_memory_size,
        " bytes exceeds 4 GiB"));
  }
  if (config.max_instance_size < kPage) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pooling allocator: max_instance_size of ", config.max_instance_size,
        " bytes is below one page"));
  }
  std::unique_ptr<PoolingAllocator> pool(new PoolingAllocator(config));
  const uint64_t n = config.total_instances;
  pool->instance_stride_ = RoundUp(config.max_instance_size, kPage);
  pool->table_stride_ =
      RoundUp(uint64_t{config.max_table_elements} * sizeof(uintptr_t), kPage);
  pool->memory_reservation_ =
      config.max_memory_size / LinearMemory::kWasmPageSize *
      LinearMemory::kWasmPageSize;

  pool->instances_bytes_ = n * pool->instance_stride_;
  absl::StatusOr<uint8_t*> instances = Reserve(
      pool->instances_bytes_, PROT_READ | PROT_WRITE, "instance slots");
  if (!instances.ok()) return instances.status();
  pool->instances_ = *instances;

  // Memories: PROT_NONE until a slot makes its prefix accessible.
  pool->memories_bytes_ =
      n * config.max_memories_per_instance * kMemorySlotBytes;
  absl::StatusOr<uint8_t*> memories =
      Reserve(pool->memories_bytes_, PROT_NONE, "memory slots");
  if (!memories.ok()) return memories.status();
  pool->memories_ = *memories;

  pool->tables_bytes_ =
      n * config.max_tables_per_instance * pool->table_stride_;
  absl::StatusOr<uint8_t*> tables =
      Reserve(pool->tables_bytes_, PROT_READ | PROT_WRITE, "table slots");
  if (!tables.ok()) return tables.status();
  pool->tables_ = *tables;

  pool->slots_ = std::make_unique<SlotState[]>(n);
  pool->memory_states_ =
      std::make_unique<MemoryState[]>(n * config.max_memories_per_instance);
  pool->table_used_per_slot_ =
      static_cast<uint32_t>(RoundUp(config.max_tables_per_instance, 8));
  pool->table_used_ =
      std::make_unique<uint64_t[]>(n * pool->table_used_per_slot_);
  pool->pending_per_slot_ = static_cast<uint32_t>(RoundUp(
      1 + config.max_tables_per_instance + config.max_memories_per_instance,
      4));
  pool->pending_ranges_ =
      std::make_unique<iovec[]>(n * pool->pending_per_slot_);
  // process_madvise on ourselves (Linux 6.13+ accepts MADV_DONTNEED):
  // one call gives back a whole batch. Without it, madvise per range.
  pool->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  pool->lazy_ =
      config.lazy_commit &&
      AddFaultResolver(reinterpret_cast<uintptr_t>(pool->memories_),
                       reinterpret_cast<uintptr_t>(pool->memories_) +
                           pool->memories_bytes_,
                       &PoolingAllocator::ResolveFault, pool.get());
  // One shard per CPU (at most one per slot).
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  pool->num_shards_ = static_cast<uint32_t>(std::clamp<long>(
      cpus, 1, std::min<uint64_t>(kMaxShards, config.total_instances)));
  pool->shards_ = std::make_unique<Shard[]>(pool->num_shards_);
  pool->drain_threshold_ = std::clamp<uint32_t>(
      config.decommit_batch_size, 1,
      std::max<uint32_t>(1, config.total_instances / pool->num_shards_ / 2));
  // Each shard gets a contiguous run of slots, its lowest on top: low
  // addresses are used first.
  for (uint32_t i = config.total_instances; i-- > 0;) {
    const uint32_t shard = static_cast<uint32_t>(
        uint64_t{i} * pool->num_shards_ / config.total_instances);
    pool->PushChain(pool->shards_[shard].free_head, i, i,
                    std::memory_order_relaxed);
  }
  return pool;
}

PoolingAllocator::~PoolingAllocator() {
  if (lazy_) RemoveFaultResolver(this);
  if (instances_ != nullptr) munmap(instances_, instances_bytes_);
  if (memories_ != nullptr) munmap(memories_, memories_bytes_);
  if (tables_ != nullptr) munmap(tables_, tables_bytes_);
  if (pidfd_ >= 0) close(pidfd_);
}

absl::Status PoolingAllocator::CheckFits(uint32_t defined_memories,
                                         uint32_t defined_tables,
                                         uint64_t instance_bytes) const {
  if (defined_memories > config_.max_memories_per_instance) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "pooling allocator: the module defines ", defined_memories,
        " memories, the limit per instance is ",
        config_.max_memories_per_instance));
  }
  if (defined_tables > config_.max_tables_per_instance) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "pooling allocator: the module defines ", defined_tables,
        " tables, the limit per instance is ",
        config_.max_tables_per_instance));
  }
  if (instance_bytes > instance_stride_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "pooling allocator: the instance needs ", instance_bytes,
        " bytes (instance and VMContext), above max_instance_size of ",
        config_.max_instance_size));
  }
  return absl::OkStatus();
}

absl::Status PoolingAllocator::CheckMemoryFits(uint32_t index,
                                               uint64_t min_pages) const {
  if (min_pages * LinearMemory::kWasmPageSize > memory_reservation_) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "pooling allocator: memory ", index, " has a minimum of ", min_pages,
        " pages, above max_memory_size of ", config_.max_memory_size,
        " bytes"));
  }
  return absl::OkStatus();
}

absl::Status PoolingAllocator::CheckTableFits(uint32_t index,
                                              uint64_t min_elements) const {
  if (min_elements > config_.max_table_elements) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "pooling allocator: table ", index, " has a minimum of ",
        min_elements, " elements, above max_table_elements of ",
        config_.max_table_elements));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> PoolingAllocator::AcquireSlot() {
  Shard& home = HomeShard();
  const uint32_t home_index = static_cast<uint32_t>(&home - shards_.get());
  for (;;) {
    if (std::optional<uint32_t> slot = Pop(home)) return *slot;
    // Steal from the other CPUs' shards.
    for (uint32_t k = 1; k < num_shards_; ++k) {
      if (std::optional<uint32_t> slot =
              Pop(shards_[(home_index + k) % num_shards_])) {
        return *slot;
      }
    }
    // Released slots may be waiting for their reset: do it now (ours
    // first), or wait for another thread that is doing it.
    uint32_t drained = 0;
    uint32_t dirty = 0;
    for (uint32_t k = 0; k < num_shards_; ++k) {
      Shard& shard = shards_[(home_index + k) % num_shards_];
      drained += DrainDirty(shard, /*wait=*/true);
      dirty += shard.dirty_count.load();
    }
    if (drained != 0) continue;
    if (draining_.load() == 0 && dirty == 0) {
      bool any = false;
      for (uint32_t k = 0; k < num_shards_; ++k) {
        any |= (shards_[k].free_head.load(std::memory_order_acquire) &
                kLowMask) != 0;
      }
      if (any) continue;
      return absl::ResourceExhaustedError(
          absl::StrCat("pooling allocator: all ", config_.total_instances,
                       " instance slots are in use"));
    }
    std::this_thread::yield();
  }
}

void PoolingAllocator::ReleaseSlot(uint32_t slot) {
  SlotState& s = slots_[slot];
  ResetInstanceBlock(slot);
  for (uint32_t k = 0; k < config_.max_tables_per_instance; ++k) {
    uint64_t& used = table_used(slot, k);
    ResetRegion(slot, reinterpret_cast<uint8_t*>(table_storage(slot, k)),
                used * sizeof(uintptr_t),
                std::max(config_.table_keep_resident, kMinKeepResident));
    used = 0;
  }
  for (uint32_t k = 0; k < config_.max_memories_per_instance; ++k) {
    ResetMemory(slot, k);
  }
  Shard& home = HomeShard();
  if (s.num_pending == 0) {
    // Reset by memset only. Release: the resets above happen before the
    // next owner's acquire.
    PushChain(home.free_head, slot, slot, std::memory_order_release);
    return;
  }
  // Counted before it is pushed, so the count never drops below what the
  // stack holds (a drain subtracts what it took).
  const uint32_t dirty = home.dirty_count.fetch_add(1) + 1;
  PushChain(home.dirty_head, slot, slot, std::memory_order_release);
  if (dirty >= drain_threshold_) DrainDirty(home, /*wait=*/false);
}

void PoolingAllocator::ResetInstanceBlock(uint32_t slot) {
  SlotState& s = slots_[slot];
  uint8_t* block = instance_block(slot);
  const uint64_t end = s.instance_bytes;
  const uint64_t sparse_end = std::min(s.sparse_end, end);
  const uint64_t sparse_begin = std::min(s.sparse_begin, sparse_end);
  s.kept_id = 0;
  if (s.keep_id != 0 && sparse_begin < sparse_end) {
    // Keep the sparse part for the next instance of the same module.
    std::memset(block, 0, sparse_begin);
    std::memset(block + sparse_end, 0, end - sparse_end);
    s.kept_id = s.keep_id;
    s.kept_begin = sparse_begin;
    s.kept_end = sparse_end;
  } else if (sparse_end - sparse_begin <= kSparseMemsetLimit) {
    std::memset(block, 0, end);
  } else {
    // Dense head and tail by memset, the whole pages in between by madvise.
    const uint64_t page_begin = RoundUp(sparse_begin, kPage);
    const uint64_t page_end = sparse_end / kPage * kPage;
    std::memset(block, 0, page_begin);
    QueueDecommit(slot, block + page_begin, page_end - page_begin);
    std::memset(block + page_end, 0, end - page_end);
  }
  s.instance_bytes = s.sparse_begin = s.sparse_end = s.keep_id = 0;
}

void PoolingAllocator::PrepareInstanceBlock(uint32_t slot, uint64_t keep_id,
                                            uint64_t sparse_begin,
                                            uint64_t sparse_end) {
  SlotState& s = slots_[slot];
  if (s.kept_id == 0) return;
  if (s.kept_id == keep_id && s.kept_begin == sparse_begin &&
      s.kept_end == sparse_end) {
    return;  // the same module's funcrefs, still valid
  }
  // Another module's: zero them (the slot is ours, so no batching).
  uint8_t* block = instance_block(slot);
  const uint64_t len = s.kept_end - s.kept_begin;
  if (len <= kSparseMemsetLimit) {
    std::memset(block + s.kept_begin, 0, len);
  } else {
    const uint64_t page_begin = RoundUp(s.kept_begin, kPage);
    const uint64_t page_end =
        std::max(page_begin, s.kept_end / kPage * kPage);
    std::memset(block + s.kept_begin, 0, page_begin - s.kept_begin);
    madvise(block + page_begin, page_end - page_begin, MADV_DONTNEED);
    std::memset(block + page_end, 0, s.kept_end - page_end);
  }
  s.kept_id = 0;
}

void PoolingAllocator::ResetMemory(uint32_t slot, uint32_t k) {
  MemoryState& st = memory_state(slot, k);
  if (st.used_bytes == 0) return;
  // memset would overwrite the image's contents with zeros; keep only the
  // bytes below the image resident.
  uint64_t keep = config_.linear_memory_keep_resident;
  if (st.image_id != 0) keep = std::min(keep, st.image_offset);
  // Pages past the committed prefix were never touched.
  const uint64_t touchable =
      std::min(st.used_bytes, st.committed.load(std::memory_order_relaxed));
  ResetRegion(slot, memory_base(slot, k), touchable, keep);
  st.used_bytes = 0;
}

bool PoolingAllocator::ResolveFault(void* owner, uintptr_t address) {
  auto* pool = static_cast<PoolingAllocator*>(owner);
  const uint64_t in_pool =
      address - reinterpret_cast<uintptr_t>(pool->memories_);
  const uint64_t index = in_pool / kMemorySlotBytes;
  MemoryState& st = pool->memory_states_[index];
  const LinearMemory* memory = st.live.load(std::memory_order_acquire);
  if (memory == nullptr) return false;
  const uint64_t offset = in_pool - index * kMemorySlotBytes;
  const uint64_t size = memory->size_bytes();
  const uint64_t committed = st.committed.load(std::memory_order_acquire);
  // Below the prefix: a fault for another reason; past the size: a wasm
  // out-of-bounds access (the trap handler's).
  if (offset < committed || offset >= size) return false;
  const uint64_t target =
      std::min(size, std::max({RoundUp(offset + 1, kPage), 2 * committed,
                               committed + kMinLazyCommit}));
  if (mprotect(pool->memories_ + index * kMemorySlotBytes + committed,
               target - committed, PROT_READ | PROT_WRITE) != 0) {
    return false;
  }
  st.committed.store(target, std::memory_order_release);
  return true;
}

absl::StatusOr<LinearMemory*> PoolingAllocator::AcquireMemory(
    void* where, uint32_t slot, uint32_t k, uint64_t min_pages,
    std::optional<uint64_t> max_pages, const MemoryImage* image,
    uint64_t image_id) {
  if (absl::Status s = CheckMemoryFits(k, min_pages); !s.ok()) return s;
  MemoryState& st = memory_state(slot, k);
  uint8_t* base = memory_base(slot, k);
  const uint64_t min_bytes = min_pages * LinearMemory::kWasmPageSize;
  const uint64_t want_id = image == nullptr ? 0 : image_id;
  if (st.image_id != want_id && st.image_id != 0) {
    // Another module's image: replace it and everything accessible with
    // fresh PROT_NONE pages in one call (contents were reset already).
    const uint64_t end =
        std::max(st.committed.load(std::memory_order_relaxed),
                 st.image_offset + st.image_length);
    if (mmap(base, end, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
             0) == MAP_FAILED) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "pooling allocator: unmapping a memory image failed: ",
          std::strerror(errno)));
    }
    st.image_id = 0;
    st.committed.store(0, std::memory_order_relaxed);
  }
  // The prefix to commit now: all of the memory, or when lazy the part
  // ResetMemory zeroes with memset (it must not fault).
  uint64_t target = min_bytes;
  if (lazy_) {
    uint64_t keep = config_.linear_memory_keep_resident;
    if (image != nullptr) keep = std::min(keep, image->offset());
    target = std::min(min_bytes, RoundUp(keep, kPage));
  }
  uint64_t committed = st.committed.load(std::memory_order_relaxed);
  if (committed > min_bytes || committed < target) {
    const bool grow = committed < target;
    uint8_t* from = base + (grow ? committed : min_bytes);
    const uint64_t len = grow ? target - committed : committed - min_bytes;
    if (mprotect(from, len, grow ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "pooling allocator: making ", target,
          " bytes of memory accessible failed: ", std::strerror(errno)));
    }
    committed = grow ? target : min_bytes;
    st.committed.store(committed, std::memory_order_relaxed);
  }
  LinearMemory::Options options;
  options.reservation_bytes = memory_reservation_;
  options.guard_bytes = kMemorySlotBytes - memory_reservation_;
  if (lazy_) options.lazy_committed = &st.committed;
  absl::StatusOr<LinearMemory*> memory = LinearMemory::CreateInReservation(
      where, base, min_pages, max_pages, options);
  if (!memory.ok()) return memory.status();
  if (image != nullptr && st.image_id != image_id) {
    absl::Status s = image->MapInto(**memory);
    // The image maps read-write; its pages past the prefix wait for a
    // touch like the rest.
    const uint64_t image_end = image->offset() + image->length();
    const uint64_t none_from = std::max(committed, image->offset());
    if (s.ok() && lazy_ && none_from < image_end &&
        mprotect(base + none_from, image_end - none_from, PROT_NONE) != 0) {
      s = absl::ResourceExhaustedError(absl::StrCat(
          "pooling allocator: protecting a memory image failed: ",
          std::strerror(errno)));
    }
    if (!s.ok()) {
      (*memory)->~LinearMemory();
      return s;
    }
    st.image_id = image_id;
    st.image_offset = image->offset();
    st.image_length = image->length();
  }
  st.live.store(*memory, std::memory_order_release);
  return memory;
}

void PoolingAllocator::RecordMemorySize(uint32_t slot, uint32_t k,
                                        uint64_t size_bytes) {
  MemoryState& st = memory_state(slot, k);
  st.used_bytes = size_bytes;
  st.live.store(nullptr, std::memory_order_release);
  // Eager: Grow committed every page below the size with mprotect.
  if (!lazy_) st.committed.store(size_bytes, std::memory_order_relaxed);
}

void PoolingAllocator::RecordTableSize(uint32_t slot, uint32_t k,
                                       uint64_t elements) {
  table_used(slot, k) = elements;
}

uint32_t PoolingAllocator::free_slots_for_testing() const {
  uint32_t n = 0;
  for (uint32_t k = 0; k < num_shards_; ++k) {
    uint32_t top = static_cast<uint32_t>(
        shards_[k].free_head.load(std::memory_order_acquire) & kLowMask);
    while (top != 0) {
      ++n;
      top = slots_[top - 1].next.load(std::memory_order_relaxed);
    }
  }
  return n;
}

}  // namespace kiln::runtime
