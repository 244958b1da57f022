// PoolingInstanceAllocator: the InstanceAllocator over a PoolingAllocator's
// slots (runtime/pool/pooling_allocator.h): an instance's block, memories
// and tables live in one slot, acquired and released without mmap; memory
// and table objects are constructed in the instance block. Fiber stacks
// come from a pool of up to total_instances stacks, reused (their pages
// stay committed).
#ifndef KILN_RUNTIME_POOL_POOLING_INSTANCE_ALLOCATOR_H_
#define KILN_RUNTIME_POOL_POOLING_INSTANCE_ALLOCATOR_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/fiber/fiber_stack.h"
#include "runtime/pool/pooling_allocator.h"
#include "runtime/vm/instance_allocator.h"

namespace kiln::runtime {

class PoolingInstanceAllocator : public InstanceAllocator {
 public:
  // Maps the pool (PoolingAllocator::Create's errors).
  static absl::StatusOr<std::unique_ptr<PoolingInstanceAllocator>> Create(
      const PoolingConfig& config, size_t fiber_stack_size);

  absl::StatusOr<InstanceAllocation> AllocateInstance(
      const InstanceRequest& request) override;
  void DeallocateInstance(const InstanceAllocation& allocation,
                          const InstanceRequest& request) override;
  absl::StatusOr<LinearMemory*> AllocateMemory(
      const InstanceAllocation& allocation,
      const MemoryRequest& request) override;
  void DeallocateMemory(const InstanceAllocation& allocation, uint32_t defined,
                        LinearMemory* memory) override;
  absl::StatusOr<Table*> AllocateTable(const InstanceAllocation& allocation,
                                       const TableRequest& request) override;
  void DeallocateTable(const InstanceAllocation& allocation, uint32_t defined,
                       Table* table) override;
  absl::StatusOr<FiberStack> AllocateFiberStack() override;
  void DeallocateFiberStack(FiberStack stack) override;

  PoolingAllocator& pool() { return *pool_; }

 private:
  PoolingInstanceAllocator(std::unique_ptr<PoolingAllocator> pool,
                           size_t fiber_stack_size, size_t max_stacks)
      : pool_(std::move(pool)), stacks_(fiber_stack_size, max_stacks) {}
  std::unique_ptr<PoolingAllocator> pool_;
  FiberStackPool stacks_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_POOL_POOLING_INSTANCE_ALLOCATOR_H_
