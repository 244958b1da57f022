#include "runtime/pool/slot_stacks.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {
namespace {

constexpr uint64_t kLowMask = 0xffffffffu;

// At most this many per-CPU shards.
constexpr uint64_t kMaxShards = 64;

// Ranges given back per decommitter call (below UIO_MAXIOV).
constexpr size_t kDecommitChunk = 256;
// Bytes given back per call: the kernel takes at most MAX_RW_COUNT
// (INT_MAX rounded down to a page) of an iovec array and reports the rest
// as not done, and batches of large memories reach that (a batch left by
// a busy drain grows past 64 slots). This is that limit for pages of up
// to 64 KiB: a batch of 64 memories of 16 MiB plus a page (1.004 GiB) is
// one call, not two (each call is a syscall, which on 2 threads also moves
// the process's kernel state between CPUs).
constexpr uint64_t kDecommitChunkBytes =
    (uint64_t{1} << 31) - (uint64_t{1} << 16);

// A release over the drain threshold that found another drain running
// tries again this many releases later.
constexpr uint32_t kDrainRetry = 8;

uint64_t RoundUp(uint64_t n, uint64_t to) { return (n + to - 1) / to * to; }

}  // namespace

void SlotStacks::FreeBytes::operator()(uint8_t* p) const {
  ::operator delete(p, std::align_val_t{64});
}

SlotStacks::SlotStacks(uint32_t count, uint32_t ranges_per_slot,
                       uint32_t batch_size, std::string what,
                       PageDecommitter* decommitter)
    : count_(count),
      ranges_per_slot_(ranges_per_slot),
      what_(std::move(what)),
      decommitter_(decommitter) {
  stride_ = RoundUp(kRangesOffset + uint64_t{ranges_per_slot} * sizeof(iovec),
                    64);
  const uint64_t bytes = std::max<uint64_t>(64, stride_ * count);
  records_.reset(
      static_cast<uint8_t*>(::operator new(bytes, std::align_val_t{64})));
  std::memset(records_.get(), 0, bytes);
  for (uint32_t i = 0; i < count; ++i) new (&link(i)) Link();
  // One shard per CPU (at most one per slot).
  const long cpus = sysconf(_SC_NPROCESSORS_CONF);
  num_shards_ = static_cast<uint32_t>(std::clamp<long>(
      cpus, 1, std::max<uint64_t>(1, std::min<uint64_t>(kMaxShards, count))));
  shards_ = std::make_unique<Shard[]>(num_shards_);
  drain_threshold_ = std::clamp<uint32_t>(
      batch_size, 1, std::max<uint32_t>(1, count / num_shards_ / 2));
  // Each shard gets a contiguous run of slots, its lowest on top: low
  // addresses are used first.
  for (uint32_t i = count; i-- > 0;) {
    const uint32_t shard =
        static_cast<uint32_t>(uint64_t{i} * num_shards_ / count);
    PushChain(shards_[shard].free_head, i, i, std::memory_order_relaxed);
  }
}

void SlotStacks::PushChain(std::atomic<uint64_t>& head, uint32_t first,
                           uint32_t last, std::memory_order order) {
  uint64_t h = head.load(std::memory_order_relaxed);
  for (;;) {
    link(last).next.store(static_cast<uint32_t>(h & kLowMask),
                          std::memory_order_relaxed);
    const uint64_t desired = (((h >> 32) + 1) << 32) | (first + 1);
    if (head.compare_exchange_weak(h, desired, order,
                                   std::memory_order_relaxed)) {
      return;
    }
  }
}

SlotStacks::Shard& SlotStacks::HomeShard() {
  if (num_shards_ == 1) return shards_[0];
  // glibc reads the CPU from rseq (a load): cheap enough per call. A thread
  // that migrates just uses another shard from then on.
  const int cpu = sched_getcpu();
  return shards_[cpu < 0 ? 0 : static_cast<uint32_t>(cpu) % num_shards_];
}

uint32_t SlotStacks::Pop(Shard& shard) {
  uint64_t head = shard.free_head.load(std::memory_order_acquire);
  for (;;) {
    const uint32_t top = static_cast<uint32_t>(head & kLowMask);
    if (top == 0) return 0;
    // May read the link of a slot another thread just popped; then the
    // head's tag has changed and the CAS below fails.
    const uint32_t next = link(top - 1).next.load(std::memory_order_relaxed);
    const uint64_t desired = (((head >> 32) + 1) << 32) | next;
    if (shard.free_head.compare_exchange_weak(head, desired,
                                              std::memory_order_acquire,
                                              std::memory_order_acquire)) {
      return top;
    }
  }
}

uint32_t SlotStacks::DrainDirty(Shard& shard, bool wait) {
  // One batch at a time in the process (PageDecommitter). A release that
  // finds another drain running leaves its batch for later (the next
  // release, or an acquire that finds no free slot, which waits here).
  absl::Mutex& mu = decommitter_->mu();
  if (wait) {
    mu.Lock();
  } else if (!mu.TryLock()) {
    return 0;
  }
  const uint32_t n = DrainDirtyLocked(shard);
  mu.Unlock();
  return n;
}

uint32_t SlotStacks::DrainDirtyLocked(Shard& shard) {
  draining_.fetch_add(1);
  // Take the whole waiting stack (releases on this shard start a new one).
  const uint64_t head = shard.dirty_head.exchange(0, std::memory_order_acquire);
  const uint32_t first = static_cast<uint32_t>(head & kLowMask);
  if (first == 0) {
    draining_.fetch_sub(1);
    return 0;
  }
  // Give back its ranges, a chunk per call.
  iovec batch[kDecommitChunk];
  size_t n = 0;
  uint64_t bytes = 0;
  uint32_t last = first - 1;
  for (uint32_t l = first; l != 0;
       l = link(l - 1).next.load(std::memory_order_relaxed)) {
    const uint32_t slot = l - 1;
    Link& s = link(slot);
    const iovec* queued = ranges(slot);
    for (uint32_t r = 0; r < s.num_pending; ++r) {
      if (n == kDecommitChunk ||
          (n > 0 && bytes + queued[r].iov_len > kDecommitChunkBytes)) {
        decommitter_->Decommit(batch, n);
        n = 0;
        bytes = 0;
      }
      batch[n++] = queued[r];
      bytes += queued[r].iov_len;
    }
    s.num_pending = 0;
    last = slot;
  }
  decommitter_->Decommit(batch, n);
  // Release: the resets happen before the next owner's acquire.
  PushChain(shard.free_head, first - 1, last, std::memory_order_release);
  draining_.fetch_sub(1);
  return static_cast<uint32_t>(head >> 32);
}

absl::StatusOr<uint32_t> SlotStacks::Acquire() {
  Shard& home = HomeShard();
  if (const uint32_t top = Pop(home)) return top - 1;
  return AcquireSlow(home);
}

absl::StatusOr<uint32_t> SlotStacks::AcquireSlow(Shard& home) {
  const uint32_t home_index = static_cast<uint32_t>(&home - shards_.get());
  for (;;) {
    if (const uint32_t top = Pop(home)) return top - 1;
    // Steal from the other CPUs' shards.
    for (uint32_t k = 1; k < num_shards_; ++k) {
      if (const uint32_t top = Pop(shards_[(home_index + k) % num_shards_])) {
        return top - 1;
      }
    }
    // Released slots may be waiting for their batch: give it back now
    // (ours first), or wait for another thread that is doing it.
    uint32_t drained = 0;
    uint32_t dirty = 0;
    for (uint32_t k = 0; k < num_shards_; ++k) {
      Shard& shard = shards_[(home_index + k) % num_shards_];
      drained += DrainDirty(shard, /*wait=*/true);
      dirty += static_cast<uint32_t>(shard.dirty_head.load() >> 32);
    }
    if (drained != 0) continue;
    if (draining_.load() == 0 && dirty == 0) {
      bool any = false;
      for (uint32_t k = 0; k < num_shards_; ++k) {
        any |= (shards_[k].free_head.load(std::memory_order_acquire) &
                kLowMask) != 0;
      }
      if (any) continue;
      return absl::ResourceExhaustedError(absl::StrCat(
          "pooling allocator: all ", count_, " ", what_, " are in use"));
    }
    std::this_thread::yield();
  }
}

void SlotStacks::QueueDecommit(uint32_t slot, void* p, uint64_t len) {
  if (len == 0) return;
  Link& s = link(slot);
  iovec& range = ranges(slot)[s.num_pending++];
  range.iov_base = p;
  range.iov_len = len;
}

void SlotStacks::Release(uint32_t slot) {
  Shard& home = HomeShard();
  if (link(slot).num_pending == 0) {
    // Reset by memset only. Release: the resets happen before the next
    // owner's acquire.
    PushChain(home.free_head, slot, slot, std::memory_order_release);
    return;
  }
  uint64_t head = home.dirty_head.load(std::memory_order_relaxed);
  uint64_t desired;
  do {
    link(slot).next.store(static_cast<uint32_t>(head & kLowMask),
                          std::memory_order_relaxed);
    desired = (((head >> 32) + 1) << 32) | (slot + 1);
    // Release: the resets happen before the drain that gives them back.
  } while (!home.dirty_head.compare_exchange_weak(
      head, desired, std::memory_order_release, std::memory_order_relaxed));
  const uint32_t dirty = static_cast<uint32_t>(desired >> 32);
  // While another thread's drain holds the decommitter, retry only every
  // kDrainRetry releases: each try writes the mutex's line, which that
  // thread's CPU holds.
  if (dirty >= drain_threshold_ &&
      (dirty - drain_threshold_) % kDrainRetry == 0) {
    DrainDirty(home, /*wait=*/false);
  }
}

uint32_t SlotStacks::free_for_testing() const {
  uint32_t n = 0;
  for (uint32_t k = 0; k < num_shards_; ++k) {
    uint32_t top = static_cast<uint32_t>(
        shards_[k].free_head.load(std::memory_order_acquire) & kLowMask);
    while (top != 0) {
      ++n;
      top = link(top - 1).next.load(std::memory_order_relaxed);
    }
  }
  return n;
}

}  // namespace kiln::runtime
