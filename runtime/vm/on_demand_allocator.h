// OnDemandAllocator: the InstanceAllocator that allocates per instance --
// calloc for the block (glibc hands out fresh zero pages for big ones
// without writing them), a fresh 4 GiB + guard reservation per memory
// (LinearMemory::Create), a heap table -- and frees it all on drop. Fiber
// stacks are mmap'd with a guard page and kept for reuse (up to
// `max_cached_stacks`, FiberStackPool), as mapping a stack per call costs
// more than the call.
#ifndef KILN_RUNTIME_VM_ON_DEMAND_ALLOCATOR_H_
#define KILN_RUNTIME_VM_ON_DEMAND_ALLOCATOR_H_

#include <cstddef>

#include "runtime/fiber/fiber_stack.h"
#include "runtime/vm/instance_allocator.h"

namespace kiln::runtime {

class OnDemandAllocator : public InstanceAllocator {
 public:
  static constexpr size_t kDefaultFiberStackSize = size_t{2} << 20;
  explicit OnDemandAllocator(size_t fiber_stack_size = kDefaultFiberStackSize,
                             size_t max_cached_stacks = 256)
      : stacks_(fiber_stack_size, max_cached_stacks) {}

  // A process-wide one (default fiber stacks), for instances created
  // without an allocator (InstanceConfig::allocator null).
  static OnDemandAllocator& Default();

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

  const FiberStackPool& fiber_stacks() const { return stacks_; }

 private:
  FiberStackPool stacks_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_VM_ON_DEMAND_ALLOCATOR_H_
