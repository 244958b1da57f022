// SlotStacks: which slots of one kind (instance blocks, or linear
// memories) are free, kept per CPU so threads on different CPUs never
// write the same cache line in the steady state.
//
// One shard per CPU, each a lock-free Treiber stack of free slots whose
// head carries an ABA tag, on a line pair of its own. Acquiring pops the
// current CPU's shard (stealing from the others only when it is empty);
// releasing pushes on the current CPU's shard, so a thread reuses the slot
// it just released, whose lines are still in its cache.
//
// A slot released with page ranges still to give back (QueueDecommit) goes
// to its shard's second stack instead, of slots waiting for their batch:
// once `batch_size` wait (capped at half of a shard's slots), one
// PageDecommitter call gives all their ranges back and they become free.
// Each kind of slot batches on its own: an instance block that was reset
// by memset is free again at once, even while the memory it used waits
// for its batch (with one slot for both, each thread cycled through more
// than a batch of instance blocks, all cold in its cache).
//
// Thread-safe.
#ifndef KILN_RUNTIME_POOL_SLOT_STACKS_H_
#define KILN_RUNTIME_POOL_SLOT_STACKS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <sys/uio.h>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime/pool/page_decommitter.h"

namespace kiln::runtime {

class SlotStacks {
 public:
  // Slots 0..count-1 (count below 2^32 - 1), all free, each with room for
  // `ranges_per_slot` queued ranges. `what` names them in errors ("instance
  // slots"). The decommitter outlives this.
  SlotStacks(uint32_t count, uint32_t ranges_per_slot, uint32_t batch_size,
             std::string what, PageDecommitter* decommitter);
  SlotStacks(const SlotStacks&) = delete;
  SlotStacks& operator=(const SlotStacks&) = delete;

  // A free slot, or kResourceExhausted ("pooling allocator: all N <what>
  // are in use"). When none is free but some wait for their batch, gives
  // that batch back first (or waits for the thread doing it).
  absl::StatusOr<uint32_t> Acquire();
  // Queues [p, p + len) of `slot` to be given back before its next use.
  // Only by the slot's holder, before Release.
  void QueueDecommit(uint32_t slot, void* p, uint64_t len);
  // Makes `slot` available again, once its queued ranges are given back.
  void Release(uint32_t slot);

  // The number of free slots (racy; for tests).
  uint32_t free_for_testing() const;
  // The count of waiting slots at which a CPU's batch is given back:
  // batch_size, capped at half of a shard's slots. Batches that could hold
  // a whole shard left no free slot to acquire: every acquire then stole or
  // waited for a drain (2 threads on a 256-slot pool with a batch of 128
  // did 0.6x the instantiations of 1 thread).
  uint32_t drain_threshold() const { return drain_threshold_; }
  uint32_t num_shards() const { return num_shards_; }

 private:
  // Free and waiting stacks of one CPU. 128 bytes apart: x86-64 fetches
  // 64-byte lines in pairs, so neighbouring CPUs' stacks would bounce.
  struct alignas(128) Shard {
    // Free stack head: (ABA tag << 32) | (slot index + 1); 0 in the low
    // half is the empty stack. The tag changes on every pop and push, so a
    // CAS against a head that was popped and pushed back in between fails.
    std::atomic<uint64_t> free_head{0};
    // Released slots waiting for their batch: (their count << 32) | (slot
    // index + 1). Only pushed one at a time and taken all at once, which
    // an ABA change cannot break, so no tag: the count, exact, rides along
    // in the same CAS.
    std::atomic<uint64_t> dirty_head{0};
  };
  // A slot's stack link and queued ranges, on whole cache lines of their
  // own (false sharing between threads on neighbouring slots cost more
  // than everything else in an instantiation of an empty module).
  struct Link {
    std::atomic<uint32_t> next{0};  // slot index + 1
    uint32_t num_pending = 0;
  };
  static constexpr uint64_t kRangesOffset = 16;

  Link& link(uint32_t slot) const {
    return *reinterpret_cast<Link*>(records_.get() + uint64_t{slot} * stride_);
  }
  iovec* ranges(uint32_t slot) const {
    return reinterpret_cast<iovec*>(records_.get() + uint64_t{slot} * stride_ +
                                    kRangesOffset);
  }
  // The calling thread's shard (its CPU's).
  Shard& HomeShard();
  // Pops `shard`'s free stack: slot index + 1, or 0 when it is empty (not
  // an optional: its two-part return value was stored and reloaded whole,
  // a store-forwarding stall that cost a third of the pop).
  uint32_t Pop(Shard& shard);
  // Acquire when the home shard is empty: steals, drains, waits, or fails
  // (out of line: the fast path stays a pop).
  [[gnu::noinline]] absl::StatusOr<uint32_t> AcquireSlow(Shard& home);
  // Gives back the ranges of every slot on `shard`'s waiting stack and
  // moves them to its free stack. Returns how many slots it moved. Drains
  // run one at a time (the decommitter's mutex): with `wait` false,
  // returns 0 at once when another one is running.
  uint32_t DrainDirty(Shard& shard, bool wait);
  uint32_t DrainDirtyLocked(Shard& shard);
  // Pushes the chain first..last (linked through Link::next, slot index +
  // 1) onto `head`.
  void PushChain(std::atomic<uint64_t>& head, uint32_t first, uint32_t last,
                 std::memory_order order);

  struct FreeBytes {
    void operator()(uint8_t* p) const;
  };
  const uint32_t count_;
  const uint32_t ranges_per_slot_;
  const std::string what_;
  PageDecommitter* const decommitter_;
  uint64_t stride_ = 0;
  std::unique_ptr<uint8_t, FreeBytes> records_;
  std::unique_ptr<Shard[]> shards_;
  uint32_t num_shards_ = 1;
  uint32_t drain_threshold_ = 1;
  // Drains in progress (their slots are in neither stack for a while: an
  // acquire that finds every stack empty waits for them).
  alignas(64) std::atomic<uint32_t> draining_{0};
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_POOL_SLOT_STACKS_H_
