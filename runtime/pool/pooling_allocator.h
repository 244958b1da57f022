// PoolingAllocator: preallocated slots for instances, so instantiating and
// dropping an instance costs no mmap/munmap and no allocation proportional
// to the module (wasmtime's pooling instance allocator, our own code).
//
// An instance slot holds:
//   - a block of max_instance_size bytes for the runtime::Instance object,
//     its VMContext and its LinearMemory / Table objects
//     (runtime/vm/instance.cc places them there),
//   - max_tables_per_instance table storages of max_table_elements slots.
// A memory slot (total_instances * max_memories_per_instance of them) is
// one linear-memory reservation of the full 4 GiB + 2 GiB guard the
// compiled code assumes (bounds checks are elided against it), usable up
// to max_memory_size bytes.
// All of it is mapped once, at creation (MAP_NORESERVE: untouched pages
// cost nothing).
//
// Instance slots and memory slots are two pools (runtime/pool/slot_stacks.h:
// per-CPU lock-free stacks, no mutex but the one that lets one batch of
// pages at a time be given back), as in wasmtime: an instance takes an
// instance slot (its block and tables) and, for each memory it defines, a
// memory slot. Releasing an instance resets both and frees the instance
// slot at once when its reset took only memsets; a memory slot whose pages
// must go back to the kernel waits for its batch (decommit_batch_size)
// without holding its instance block. A thread thus reuses the same few
// warm instance blocks, and threads on different CPUs share no cache line
// in the steady state, so instantiation on several threads scales.
//
// Reset on release: bytes past the first *_keep_resident bytes are
// returned to the kernel with madvise(MADV_DONTNEED) (fresh zero pages on
// the next touch), in batches; the first keep_resident bytes are zeroed
// with memset so they stay resident and warm. The instance block is
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

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/memory/memory_image.h"
#include "runtime/pool/page_decommitter.h"
#include "runtime/pool/slot_stacks.h"

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
  // Released slots (instance or memory) whose pages still have to be given
  // back (madvise) are collected, and given back this many at a time with one
  // process_madvise call: a TLB shootdown reaches every CPU running the
  // process, and batching pays for it once per batch instead of once per
  // instance. 1 = give back at every release. A slot is never reused
  // before it was reset; an acquire that finds no free slot resets the
  // pending ones first. The cost: the pages dirtied by up to this many
  // dropped instances stay resident until their batch is given back.
  // Capped at half of one CPU's share of the slots (drain_threshold()).
  uint32_t decommit_batch_size = 64;
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
  // makes the slot and its memory slots available again. Lock-free.
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

  // Memory `k` of `slot`, in a memory slot of its own (held until the
  // instance slot is released), as a LinearMemory of min_pages (up to
  // max_pages and max_memory_size), holding `image` (may be null: zeros),
  // memory k's image of the module `image_id` (unique per module in the
  // process; a memory slot that still holds that image is reused without
  // mapping anything). The object
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

  // The number of free instance / memory slots (racy; for tests).
  uint32_t free_slots_for_testing() const {
    return instance_slots_->free_for_testing();
  }
  uint32_t free_memory_slots_for_testing() const {
    return memory_slots_->free_for_testing();
  }
  // The count of released memory slots at which a CPU's batch is given
  // back (SlotStacks::drain_threshold).
  uint32_t drain_threshold() const { return memory_slots_->drain_threshold(); }
  uint32_t num_shards_for_testing() const {
    return memory_slots_->num_shards();
  }

 private:
  // Per-slot state is cache-line aligned (and the per-slot arrays below
  // padded to whole lines): threads work on neighbouring slots, and false
  // sharing between them cost more than everything else in an
  // instantiation of an empty module.
  struct alignas(64) MemoryState {
    uint64_t accessible_bytes = 0;  // read-write prefix
    uint64_t used_bytes = 0;        // size when dropped; reset on release
    uint64_t image_id = 0;          // 0: no image mapped
    uint32_t image_memory = 0;      // which of image_id's memories
    uint64_t image_offset = 0;
    uint64_t image_length = 0;
  };
  struct alignas(64) SlotState {
    uint64_t instance_bytes = 0;
    uint64_t sparse_begin = 0;
    uint64_t sparse_end = 0;
    uint64_t keep_id = 0;
    // What the block still holds from the last instance: module `kept_id`'s
    // sparse part [kept_begin, kept_end).
    uint64_t kept_id = 0;
    uint64_t kept_begin = 0;
    uint64_t kept_end = 0;
  };

  explicit PoolingAllocator(const PoolingConfig& config) : config_(config) {}
  // Memory slot `m`.
  uint8_t* memory_base(uint32_t m) const {
    return memories_ + uint64_t{m} * kMemorySlotBytes;
  }
  MemoryState& memory_state(uint32_t m) const { return memory_states_[m]; }
  // The memory slot (+ 1; 0: none) holding memory `k` of instance `slot`.
  uint32_t& memory_slot_of(uint32_t slot, uint32_t k) const {
    return memory_slot_of_[uint64_t{slot} * memory_slot_of_per_slot_ + k];
  }
  uint64_t& table_used(uint32_t slot, uint32_t k) const {
    return table_used_[uint64_t{slot} * table_used_per_slot_ + k];
  }
  void ResetInstanceBlock(uint32_t slot);
  // Resets memory slot `m` (its ranges queued on memory_slots_).
  void ResetMemory(uint32_t m);
  // Zeroes the first `used` bytes of the page-aligned `p`: up to `keep`
  // bytes by memset, the rest queued on `stacks` for slot `slot`.
  static void ResetRegion(SlotStacks& stacks, uint32_t slot, uint8_t* p,
                          uint64_t used, uint64_t keep);

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
  uint32_t table_used_per_slot_ = 0;  // a multiple of 8 (64 bytes)
  std::unique_ptr<uint32_t[]> memory_slot_of_;
  uint32_t memory_slot_of_per_slot_ = 0;  // a multiple of 16 (64 bytes)
  // Declared before the stacks, which use it.
  std::unique_ptr<PageDecommitter> decommitter_;
  // Instance slots: block and tables; ranges for the block's sparse part
  // and each table.
  std::unique_ptr<SlotStacks> instance_slots_;
  // Memory slots: total_instances * max_memories_per_instance.
  std::unique_ptr<SlotStacks> memory_slots_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_POOL_POOLING_ALLOCATOR_H_
