#include "runtime/pool/pooling_allocator.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {
namespace {

constexpr uint64_t kPage = 4096;
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

}  // namespace

void PoolingAllocator::ResetRegion(SlotStacks& stacks, uint32_t slot,
                                   uint8_t* p, uint64_t used, uint64_t keep) {
  if (used == 0) return;
  const uint64_t by_memset = std::min(RoundUp(keep, kPage), used);
  if (by_memset > 0) std::memset(p, 0, by_memset);
  if (by_memset < used) {
    // by_memset is page aligned here (it is below `used`).
    stacks.QueueDecommit(slot, p + by_memset,
                         RoundUp(used, kPage) - by_memset);
  }
}

absl::StatusOr<std::unique_ptr<PoolingAllocator>> PoolingAllocator::Create(
    const PoolingConfig& config) {
  if (config.total_instances == 0 || config.total_instances >= 0xffffffffu) {
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
  if (uint64_t{config.total_instances} * config.max_memories_per_instance >=
      0xffffffffu) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pooling allocator: total_instances * max_memories_per_instance must "
        "be below 2^32 - 1, got ",
        config.total_instances, " * ", config.max_memories_per_instance));
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
  const uint64_t num_memories = n * config.max_memories_per_instance;
  pool->memory_states_ = std::make_unique<MemoryState[]>(num_memories);
  pool->table_used_per_slot_ =
      static_cast<uint32_t>(RoundUp(config.max_tables_per_instance, 8));
  pool->table_used_ =
      std::make_unique<uint64_t[]>(n * pool->table_used_per_slot_);
  pool->memory_slot_of_per_slot_ =
      static_cast<uint32_t>(RoundUp(config.max_memories_per_instance, 16));
  pool->memory_slot_of_ =
      std::make_unique<uint32_t[]>(n * pool->memory_slot_of_per_slot_);
  pool->decommitter_ = std::make_unique<PageDecommitter>();
  // An instance slot queues one range for its block's sparse part and one
  // per table; a memory slot one.
  pool->instance_slots_ = std::make_unique<SlotStacks>(
      config.total_instances, 1 + config.max_tables_per_instance,
      config.decommit_batch_size, "instance slots", pool->decommitter_.get());
  pool->memory_slots_ = std::make_unique<SlotStacks>(
      static_cast<uint32_t>(num_memories), 1, config.decommit_batch_size,
      "memory slots", pool->decommitter_.get());
  return pool;
}

PoolingAllocator::~PoolingAllocator() {
  if (instances_ != nullptr) munmap(instances_, instances_bytes_);
  if (memories_ != nullptr) munmap(memories_, memories_bytes_);
  if (tables_ != nullptr) munmap(tables_, tables_bytes_);
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
  return instance_slots_->Acquire();
}

void PoolingAllocator::ReleaseSlot(uint32_t slot) {
  ResetInstanceBlock(slot);
  for (uint32_t k = 0; k < config_.max_tables_per_instance; ++k) {
    uint64_t& used = table_used(slot, k);
    ResetRegion(*instance_slots_, slot,
                reinterpret_cast<uint8_t*>(table_storage(slot, k)),
                used * sizeof(uintptr_t),
                std::max(config_.table_keep_resident, kMinKeepResident));
    used = 0;
  }
  for (uint32_t k = 0; k < config_.max_memories_per_instance; ++k) {
    uint32_t& m = memory_slot_of(slot, k);
    if (m == 0) continue;
    ResetMemory(m - 1);
    memory_slots_->Release(m - 1);
    m = 0;
  }
  instance_slots_->Release(slot);
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
    instance_slots_->QueueDecommit(slot, block + page_begin,
                                   page_end - page_begin);
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

void PoolingAllocator::ResetMemory(uint32_t m) {
  MemoryState& st = memory_state(m);
  if (st.used_bytes == 0) return;
  // memset would overwrite the image's contents with zeros; keep only the
  // bytes below the image resident.
  uint64_t keep = config_.linear_memory_keep_resident;
  if (st.image_id != 0) keep = std::min(keep, st.image_offset);
  ResetRegion(*memory_slots_, m, memory_base(m), st.used_bytes, keep);
  st.used_bytes = 0;
}

absl::StatusOr<LinearMemory*> PoolingAllocator::AcquireMemory(
    void* where, uint32_t slot, uint32_t k, uint64_t min_pages,
    std::optional<uint64_t> max_pages, const MemoryImage* image,
    uint64_t image_id) {
  if (absl::Status s = CheckMemoryFits(k, min_pages); !s.ok()) return s;
  uint32_t& held = memory_slot_of(slot, k);
  if (held == 0) {
    // Released with the instance slot, also when this call fails below.
    absl::StatusOr<uint32_t> acquired = memory_slots_->Acquire();
    if (!acquired.ok()) return acquired.status();
    held = *acquired + 1;
  }
  const uint32_t m = held - 1;
  MemoryState& st = memory_state(m);
  uint8_t* base = memory_base(m);
  const uint64_t min_bytes = min_pages * LinearMemory::kWasmPageSize;
  // A module's images are told apart by their memory index: any memory
  // slot may hold any of them.
  const uint64_t want_id = image == nullptr ? 0 : image_id;
  const bool holds_wanted =
      st.image_id == want_id && (want_id == 0 || st.image_memory == k);
  if (!holds_wanted && st.image_id != 0) {
    // Another module's image: replace it and everything accessible with
    // fresh PROT_NONE pages in one call (contents were reset already).
    const uint64_t end =
        std::max(st.accessible_bytes, st.image_offset + st.image_length);
    if (mmap(base, end, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
             0) == MAP_FAILED) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "pooling allocator: unmapping a memory image failed: ",
          std::strerror(errno)));
    }
    st.image_id = 0;
    st.accessible_bytes = 0;
  }
  if (st.accessible_bytes != min_bytes) {
    const bool grow = st.accessible_bytes < min_bytes;
    uint8_t* from = base + std::min(st.accessible_bytes, min_bytes);
    const uint64_t len = grow ? min_bytes - st.accessible_bytes
                              : st.accessible_bytes - min_bytes;
    if (mprotect(from, len, grow ? PROT_READ | PROT_WRITE : PROT_NONE) != 0) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "pooling allocator: making ", min_bytes,
          " bytes of memory accessible failed: ", std::strerror(errno)));
    }
    st.accessible_bytes = min_bytes;
  }
  LinearMemory::Options options;
  options.reservation_bytes = memory_reservation_;
  options.guard_bytes = kMemorySlotBytes - memory_reservation_;
  absl::StatusOr<LinearMemory*> memory = LinearMemory::CreateInReservation(
      where, base, min_pages, max_pages, options);
  if (!memory.ok()) return memory.status();
  if (image != nullptr && st.image_id == 0) {
    if (absl::Status s = image->MapInto(**memory); !s.ok()) {
      (*memory)->~LinearMemory();
      return s;
    }
    st.image_id = image_id;
    st.image_memory = k;
    st.image_offset = image->offset();
    st.image_length = image->length();
  }
  return memory;
}

void PoolingAllocator::RecordMemorySize(uint32_t slot, uint32_t k,
                                        uint64_t size_bytes) {
  const uint32_t m = memory_slot_of(slot, k);
  if (m == 0) return;
  MemoryState& st = memory_state(m - 1);
  st.used_bytes = size_bytes;
  st.accessible_bytes = size_bytes;  // grown by mprotect
}

void PoolingAllocator::RecordTableSize(uint32_t slot, uint32_t k,
                                       uint64_t elements) {
  table_used(slot, k) = elements;
}

}  // namespace kiln::runtime
