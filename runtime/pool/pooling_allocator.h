// PoolingAllocator: preallocated slots for instances, so instantiating and
// dropping an instance costs no mmap/munmap and no allocation proportional
// to the module (wasmtime's pooling instance allocator, our own code).
//
// One instance slot holds everything an instance defines:
//   - a block of max_instance_size bytes for the runtime::Instance object,
//     its VMContext and its LinearMemory / Table objects
//     (runtime/vm/instance.cc places them there),
//   - max_memories_per_instance linear-memory reservations, each the full
//     4 GiB + 2 GiB guard the compiled code assumes (bounds checks are
//     elided against it), usable up to max_memory_size bytes,
//   - max_tables_per_instance table storages of max_table_elements slots.
// All of it is mapped once, at creation (MAP_NORESERVE: untouched pages
// cost nothing).
//
// Free slots are kept per CPU (one shard per CPU, each a lock-free Treiber
// stack whose head carries an ABA tag, on a cache line of its own):
// acquiring pops the current CPU's shard (stealing from the others only
// when it is empty), releasing resets the slot's contents and pushes it on
// the current CPU's shard (or, when pages must be given back, on that
// shard's second stack of slots waiting for a batched madvise, see
// decommit_batch_size). No mutex (but the one that lets one batch at a time
// be given back, see DrainDirty), and in the steady state no cache line
// written by two threads: a thread recycles the slots it released, so
// instantiation on several threads scales (one shared stack head cost
// more than the whole instantiation of an empty module on 2 threads).
//
// Reset on release: bytes past the first *_keep_resident bytes are
// returned to the kernel with madvise(MADV_DONTNEED) (fresh zero pages on
// the next touch), in batches; the first keep_resident bytes are zeroed
// with memset so they stay resident and warm. A memory's pages past
// keep_resident are committed only when touched (lazy_commit), and only
// the committed prefix is reset: pages no instance touched cost nothing. The instance block is
// zeroed with memset except its sparse funcref array, which is kept for
// the next instance of the same module (RecordInstanceBytes). A memory
// slot keeps a module's
// copy-on-write image (runtime/memory/memory_image.h) mapped between uses:
// MADV_DONTNEED on a private file mapping drops the instance's private
// copies and the pages read as the file again, so the next instance of the
// same module starts from its initial contents without any mmap. Only when
// a slot is acquired for a different image is it remapped.
//
// Thread-safe: acquire and release from any thread. The slot's own state
// is touched only by the thread holding the slot.
#ifndef KILN_RUNTIME_POOL_POOLING_ALLOCATOR_H_
#define KILN_RUNTIME_POOL_POOLING_ALLOCATOR_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include <sys/uio.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/memory/memory_image.h"

namespace kiln::runtime {

// Limits of the pool (kiln::PoolingAllocationConfig in engine/engine.h).
struct PoolingConfig {
  // Instance slots: at most this many instances are alive at once.
  uint32_t total_instances = 1000;
  // Defined memories / tables one instance may have.
  uint32_t max_memories_per_instance = 1;
  uint32_t max_tables_per_instance = 1;
  // Largest size a pooled memory may have (its minimum must fit; memory.grow
  // past it returns -1). At most 4 GiB; rounded down to 64 KiB pages.
  uint64_t max_memory_size = uint64_t{10} << 20;
  // Elements of one pooled table (its minimum must fit; table.grow past it
  // returns -1).
  uint32_t max_table_elements = 20'000;
  // Bytes for the runtime::Instance object and its VMContext (the VMContext
  // grows with the module's function count: 24 bytes per function).
  uint64_t max_instance_size = uint64_t{1} << 20;
  // On release, this many leading bytes of each memory / table are zeroed
  // with memset (kept resident) instead of being given back with madvise.
  uint64_t linear_memory_keep_resident = 0;
  uint64_t table_keep_resident = 0;
  // Released slots whose pages still have to be given back (madvise) are
  // collected, and given back this many at a time with one
  // process_madvise call: a TLB shootdown reaches every CPU running the
  // process, and batching pays for it once per batch instead of once per
  // instance. 1 = give back at every release. A slot is never reused
  // before it was reset; an acquire that finds no free slot resets the
  // pending ones first. The cost: the pages dirtied by up to this many
  // dropped instances stay resident until their batch is given back.
  // Capped at half of one CPU's share of the slots (drain_threshold()).
  uint32_t decommit_batch_size = 64;
  // Lazy commit: a memory's pages past linear_memory_keep_resident stay
  // PROT_NONE until something touches them (wasm code, a builtin, the
  // host); the fault handler then makes them accessible (doubling the
  // committed prefix, so a walk through the memory takes O(log size)
  // faults) and the instruction goes on. A slot's committed prefix only
  // grows, and only it needs a reset on release: pages never touched cost
  // no madvise. Instances that touch little (a request handler) then
  // cost no system call at all, where giving back their untouched pages
  // was a third of their instantiation. false: every page below the size
  // is committed at once, as for memories outside the pool. Also off when
  // the signal handlers cannot be installed.
  bool lazy_commit = true;
};

class PoolingAllocator {
 public:
  // Address space of one memory slot: the 4 GiB reservation plus the 2 GiB
  // guard compiled code relies on.
  static constexpr uint64_t kMemorySlotBytes =
      LinearMemory::kReservationBytes + LinearMemory::kGuardBytes;
  // A sparse part of an instance block (RecordInstanceBytes) up to this
  // size is zeroed with memset, a larger one given back with madvise.
  static constexpr uint64_t kSparseMemsetLimit = 16 * 1024;
  // Tables always keep at least this many leading bytes resident (memset
  // of a page costs less than the two page faults that refill a page given
  // back: a read maps the zero page, the first write copies it).
  static constexpr uint64_t kMinKeepResident = 4096;

  // Maps the pool. Fails (naming the sizes) on a bad config or when the
  // address space cannot be reserved.
  static absl::StatusOr<std::unique_ptr<PoolingAllocator>> Create(
      const PoolingConfig& config);
  ~PoolingAllocator();
  PoolingAllocator(const PoolingAllocator&) = delete;
  PoolingAllocator& operator=(const PoolingAllocator&) = delete;

  const PoolingConfig& config() const { return config_; }

  // OK when an instance with these counts and sizes fits one slot; else
  // kResourceExhausted naming the limit ("pooling allocator: ...").
  absl::Status CheckFits(uint32_t defined_memories, uint32_t defined_tables,
                         uint64_t instance_bytes) const;
  absl::Status CheckMemoryFits(uint32_t index, uint64_t min_pages) const;
  absl::Status CheckTableFits(uint32_t index, uint64_t min_elements) const;

  // A free instance slot, or kResourceExhausted ("pooling allocator: all N
  // instance slots are in use"). Lock-free.
  absl::StatusOr<uint32_t> AcquireSlot();
  // Resets everything the slot's instance used (see the Record* calls) and
  // makes the slot available again. Lock-free.
  void ReleaseSlot(uint32_t slot);

  // The slot's instance block (max_instance_size bytes, zero when
  // acquired, 64-byte aligned).
  uint8_t* instance_block(uint32_t slot) const {
    return instances_ + uint64_t{slot} * instance_stride_;
  }
  // How many leading bytes of the instance block the instance used, and
  // the part of them written sparsely ([sparse_begin, sparse_end): the
  // lazily filled funcrefs); reset on release (call before ReleaseSlot).
  // The dense parts are zeroed with memset, a large sparse part with
  // madvise (its few touched pages fault back in; memset would write all).
  //
  // `keep_id` (non-zero): the sparse part only ever holds values that are
  // the same for every instance of one module in this slot (the defined
  // functions' funcrefs: code, type id, this slot's VMContext), so it is
  // left as it is for the next instance, if that is of the same module
  // (PrepareInstanceBlock); no per-function work, no page faults.
  void RecordInstanceBytes(uint32_t slot, uint64_t bytes,
                           uint64_t sparse_begin = 0, uint64_t sparse_end = 0,
                           uint64_t keep_id = 0) {
    SlotState& s = slots_[slot];
    s.instance_bytes = bytes;
    s.sparse_begin = sparse_begin;
    s.sparse_end = sparse_end;
    s.keep_id = keep_id;
  }
  // Call after AcquireSlot, before using the block for an instance of the
  // module `keep_id` (0: none) whose sparse part is [sparse_begin,
  // sparse_end): zeroes what the slot kept for another module, so the
  // whole block is zero except a sparse part kept for this very module.
  void PrepareInstanceBlock(uint32_t slot, uint64_t keep_id,
                            uint64_t sparse_begin, uint64_t sparse_end);

  // Memory `k` of `slot` as a LinearMemory of min_pages (up to max_pages
  // and max_memory_size), holding `image` (may be null: zeros) whose
  // identity is `image_id` (unique per image in the process; a slot that
  // still holds image_id is reused without mapping anything). The object
  // is constructed at `where` (LinearMemory::CreateInReservation); destroy
  // it with ~LinearMemory().
  absl::StatusOr<LinearMemory*> AcquireMemory(void* where, uint32_t slot,
                                              uint32_t k, uint64_t min_pages,
                                              std::optional<uint64_t> max_pages,
                                              const MemoryImage* image,
                                              uint64_t image_id);
  // Call when the instance drops memory `k` (its final size is what gets
  // reset on release).
  void RecordMemorySize(uint32_t slot, uint32_t k, uint64_t size_bytes);

  // Storage of table `k` of `slot`: max_table_elements slots, all zero when
  // the slot is acquired.
  uintptr_t* table_storage(uint32_t slot, uint32_t k) const {
    return reinterpret_cast<uintptr_t*>(
        tables_ + (uint64_t{slot} * config_.max_tables_per_instance + k) *
                      table_stride_);
  }
  // Call when the instance drops table `k`: how many elements it had.
  void RecordTableSize(uint32_t slot, uint32_t k, uint64_t elements);

  // The number of free slots (racy; for tests).
  uint32_t free_slots_for_testing() const;
  // The dirty-slot count at which a CPU's batch is given back:
  // decommit_batch_size, capped at half of a shard's slots. Batches that
  // could hold a whole shard left no free slot to acquire: every acquire
  // then stole or waited for a drain (2 threads on a 256-slot pool with a
  // batch of 128 did 0.6x the instantiations of 1 thread).
  uint32_t drain_threshold() const { return drain_threshold_; }
  uint32_t num_shards_for_testing() const { return num_shards_; }

 private:
  // Per-slot state is cache-line aligned (and the per-slot arrays below
  // padded to whole lines): threads work on neighbouring slots, and false
  // sharing between them cost more than everything else in an
  // instantiation of an empty module.
  struct alignas(64) MemoryState {
    // Read-write prefix. Past it, up to the slot's end, pages are PROT_NONE
    // and hold their initial contents (zero, or the image). Written by the
    // slot's owner and the fault handler on its thread; atomic for
    // LinearMemory::CommitAll and the handler.
    std::atomic<uint64_t> committed{0};
    // The memory built in the slot while an instance has it (for the
    // fault handler: its size), else null.
    std::atomic<LinearMemory*> live{nullptr};
    uint64_t used_bytes = 0;        // size when dropped; reset on release
    uint64_t image_id = 0;          // 0: no image mapped
    uint64_t image_offset = 0;
    uint64_t image_length = 0;
  };
  struct alignas(64) SlotState {
    std::atomic<uint32_t> next{0};  // stack link: slot index + 1
    uint64_t instance_bytes = 0;
    uint64_t sparse_begin = 0;
    uint64_t sparse_end = 0;
    uint64_t keep_id = 0;
    // What the block still holds from the last instance: module `kept_id`'s
    // sparse part [kept_begin, kept_end).
    uint64_t kept_id = 0;
    uint64_t kept_begin = 0;
    uint64_t kept_end = 0;
    uint32_t num_pending = 0;  // ranges in pending_ranges_ to give back
  };

  explicit PoolingAllocator(const PoolingConfig& config) : config_(config) {}
  uint8_t* memory_base(uint32_t slot, uint32_t k) const {
    return memories_ +
           (uint64_t{slot} * config_.max_memories_per_instance + k) *
               kMemorySlotBytes;
  }
  MemoryState& memory_state(uint32_t slot, uint32_t k) const {
    return memory_states_[uint64_t{slot} * config_.max_memories_per_instance +
                          k];
  }
  uint64_t& table_used(uint32_t slot, uint32_t k) const {
    return table_used_[uint64_t{slot} * table_used_per_slot_ + k];
  }
  // FaultResolver (runtime/traps/signal_handlers.h) for the memory slots:
  // commits more of the memory a fault hit, if it is below the size.
  static bool ResolveFault(void* pool, uintptr_t address);
  void ResetInstanceBlock(uint32_t slot);
  void ResetMemory(uint32_t slot, uint32_t k);
  // Zeroes the first `used` bytes of the page-aligned `p`: up to `keep`
  // bytes by memset, the rest queued as a range to give back.
  void ResetRegion(uint32_t slot, uint8_t* p, uint64_t used, uint64_t keep);
  void QueueDecommit(uint32_t slot, uint8_t* p, uint64_t len);
  // Free and dirty stacks of one CPU. 128 bytes apart: x86-64 fetches
  // 64-byte lines in pairs, so neighbouring CPUs' stacks would bounce.
  struct alignas(128) Shard {
    // Free stack head: (ABA tag << 32) | (slot index + 1); 0 in the low
    // half is the empty stack. The tag changes on every pop and push, so a
    // CAS against a head that was popped and pushed back in between fails.
    std::atomic<uint64_t> free_head{0};
    // Released slots waiting for DrainDirty (same encoding), and their
    // number.
    std::atomic<uint64_t> dirty_head{0};
    std::atomic<uint32_t> dirty_count{0};
  };
  // The calling thread's shard (its CPU's).
  Shard& HomeShard();
  // Pops `shard`'s free stack; nullopt when it is empty.
  std::optional<uint32_t> Pop(Shard& shard);
  // Gives back the ranges of every slot on `shard`'s dirty stack and moves
  // them to its free stack. Returns how many slots it moved. Drains run
  // one at a time (decommit_mu_): with `wait` false, returns 0 at once
  // when another one is running.
  uint32_t DrainDirty(Shard& shard, bool wait);
  uint32_t DrainDirtyLocked(Shard& shard)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(decommit_mu_);
  void Decommit(const iovec* ranges, size_t n);
  // Pushes the chain first..last (linked through SlotState::next, slot
  // index + 1) onto `head`.
  void PushChain(std::atomic<uint64_t>& head, uint32_t first, uint32_t last,
                 std::memory_order order);

  PoolingConfig config_;
  uint64_t instance_stride_ = 0;
  uint64_t table_stride_ = 0;
  uint64_t memory_reservation_ = 0;  // max_memory_size in whole wasm pages
  uint8_t* instances_ = nullptr;
  uint64_t instances_bytes_ = 0;
  uint8_t* memories_ = nullptr;
  uint64_t memories_bytes_ = 0;
  uint8_t* tables_ = nullptr;
  uint64_t tables_bytes_ = 0;
  std::unique_ptr<SlotState[]> slots_;
  std::unique_ptr<MemoryState[]> memory_states_;
  std::unique_ptr<uint64_t[]> table_used_;
  // Per slot: 1 + max_tables_per_instance + max_memories_per_instance
  // ranges queued for madvise.
  uint32_t pending_per_slot_ = 0;  // a multiple of 4 (64 bytes)
  uint32_t table_used_per_slot_ = 0;  // a multiple of 8 (64 bytes)
  std::unique_ptr<iovec[]> pending_ranges_;
  int pidfd_ = -1;  // for process_madvise on ourselves; -1: plain madvise
  std::atomic<bool> use_process_madvise_{true};
  bool lazy_ = false;  // lazy_commit, with the fault resolver registered
  std::unique_ptr<Shard[]> shards_;
  uint32_t num_shards_ = 1;
  uint32_t drain_threshold_ = 1;
  // Drains in progress (their slots are in neither stack for a while: an
  // acquire that finds every stack empty waits for them).
  alignas(64) std::atomic<uint32_t> draining_{0};
  // Held while pages are given back (DrainDirty).
  absl::Mutex decommit_mu_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_POOL_POOLING_ALLOCATOR_H_
