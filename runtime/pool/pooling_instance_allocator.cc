#include "runtime/pool/pooling_instance_allocator.h"

#include <algorithm>

#include <utility>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {

absl::StatusOr<std::unique_ptr<PoolingInstanceAllocator>>
PoolingInstanceAllocator::Create(const PoolingConfig& config,
                                 size_t fiber_stack_size) {
  absl::StatusOr<std::unique_ptr<PoolingAllocator>> pool =
      PoolingAllocator::Create(config);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<PoolingInstanceAllocator>(new PoolingInstanceAllocator(
      *std::move(pool), fiber_stack_size, config.total_instances));
}

absl::StatusOr<InstanceAllocation> PoolingInstanceAllocator::AllocateInstance(
    const InstanceRequest& request) {
  if (absl::Status s = pool_->CheckFits(request.defined_memories,
                                        request.defined_tables,
                                        request.block_bytes);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<uint32_t> slot = pool_->AcquireSlot();
  if (!slot.ok()) return slot.status();
  pool_->PrepareInstanceBlock(*slot, request.module_id, request.sparse_begin,
                              request.sparse_end);
  // Zero, page aligned (but for funcrefs kept from this same module).
  return InstanceAllocation{pool_->instance_block(*slot), *slot};
}

void PoolingInstanceAllocator::DeallocateInstance(
    const InstanceAllocation& allocation, const InstanceRequest& request) {
  pool_->RecordInstanceBytes(allocation.slot, request.block_bytes,
                             request.sparse_begin, request.sparse_end,
                             request.module_id);
  pool_->ReleaseSlot(allocation.slot);
}

absl::StatusOr<LinearMemory*> PoolingInstanceAllocator::AllocateMemory(
    const InstanceAllocation& allocation, const MemoryRequest& request) {
  // A slot is a 32-bit memory's reservation (4 GiB + guard at most), and
  // compiled code relies on that only for 32-bit memories.
  if (request.options.index64) {
    return absl::UnimplementedError(absl::StrCat(
        "pooling allocator: memory ", request.index,
        " is a 64-bit memory (memory64), which pooled slots do not support; "
        "use InstanceAllocationStrategy::kOnDemand"));
  }
  // A slot's memory is reset and handed to the next instance when this one
  // is dropped, while another thread could still use a shared memory.
  if (request.options.shared) {
    return absl::FailedPreconditionError(
        "pooling allocator: shared memories cannot live in a pool slot (a "
        "slot is reset for reuse while other threads may still use it); "
        "import a kiln::SharedMemory instead, or use the on-demand "
        "allocator");
  }
  // Only one image per module (memory 0's), so its id is the module's.
  return pool_->AcquireMemory(request.where, allocation.slot, request.defined,
                              request.min_pages, request.max_pages,
                              request.image, request.image_id);
}

void PoolingInstanceAllocator::DeallocateMemory(
    const InstanceAllocation& allocation, uint32_t defined,
    LinearMemory* memory) {
  // Its final size is what the slot resets on release.
  pool_->RecordMemorySize(allocation.slot, defined, memory->size_bytes());
  memory->~LinearMemory();
}

absl::StatusOr<Table*> PoolingInstanceAllocator::AllocateTable(
    const InstanceAllocation& allocation, const TableRequest& request) {
  if (absl::Status s = pool_->CheckTableFits(request.index, request.min);
      !s.ok()) {
    return s;
  }
  // The slot's storage is zero, which is what a lazy table starts as:
  // nothing is written per element.
  return Table::CreateInStorage(
      request.where, request.elem_type, request.min, request.max, nullptr,
      request.init_bit, pool_->table_storage(allocation.slot, request.defined),
      pool_->config().max_table_elements, request.leave_zero);
}

void PoolingInstanceAllocator::DeallocateTable(
    const InstanceAllocation& allocation, uint32_t defined, Table* table) {
  // Only the slots written can be non-zero: a lazy table of 10,000
  // functions that called through one slot resets one slot, not 80 KB
  // (whose pages would otherwise be given back to the kernel, one more
  // madvise range per instance).
  pool_->RecordTableSize(allocation.slot, defined,
                         std::min<uint64_t>(table->size(), table->written_end()));
  table->~Table();
}

absl::StatusOr<FiberStack> PoolingInstanceAllocator::AllocateFiberStack() {
  return stacks_.Acquire();
}

void PoolingInstanceAllocator::DeallocateFiberStack(FiberStack stack) {
  stacks_.Release(std::move(stack));
}

}  // namespace kiln::runtime
