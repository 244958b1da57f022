#include "runtime/vm/on_demand_allocator.h"

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {

OnDemandAllocator& OnDemandAllocator::Default() {
  static OnDemandAllocator* allocator = new OnDemandAllocator();
  return *allocator;
}

absl::StatusOr<InstanceAllocation> OnDemandAllocator::AllocateInstance(
    const InstanceRequest& request) {
  // calloc's alignment (16) is what the VMContext needs.
  void* block = std::calloc(1, request.block_bytes);
  if (block == nullptr || reinterpret_cast<uintptr_t>(block) % 16 != 0) {
    std::free(block);
    return absl::ResourceExhaustedError(absl::StrCat(
        "Instance::Create: cannot allocate an instance of ",
        request.block_bytes, " bytes"));
  }
  return InstanceAllocation{block, 0};
}

void OnDemandAllocator::DeallocateInstance(const InstanceAllocation& allocation,
                                           const InstanceRequest&) {
  std::free(allocation.block);
}

absl::StatusOr<LinearMemory*> OnDemandAllocator::AllocateMemory(
    const InstanceAllocation&, const MemoryRequest& request) {
  absl::StatusOr<std::unique_ptr<LinearMemory>> memory = LinearMemory::Create(
      request.min_pages, request.max_pages, request.options);
  if (!memory.ok()) return memory.status();
  if (request.image != nullptr) {
    if (absl::Status s = request.image->MapInto(**memory); !s.ok()) return s;
  }
  return memory->release();
}

void OnDemandAllocator::DeallocateMemory(const InstanceAllocation&, uint32_t,
                                         LinearMemory* memory) {
  delete memory;
}

absl::StatusOr<Table*> OnDemandAllocator::AllocateTable(
    const InstanceAllocation&, const TableRequest& request) {
  absl::StatusOr<std::unique_ptr<Table>> table =
      Table::Create(request.elem_type, request.min, request.max, nullptr,
                    request.init_bit, request.leave_zero);
  if (!table.ok()) return table.status();
  return table->release();
}

void OnDemandAllocator::DeallocateTable(const InstanceAllocation&, uint32_t,
                                        Table* table) {
  delete table;
}

absl::StatusOr<FiberStack> OnDemandAllocator::AllocateFiberStack() {
  return stacks_.Acquire();
}

void OnDemandAllocator::DeallocateFiberStack(FiberStack stack) {
  stacks_.Release(std::move(stack));
}

}  // namespace kiln::runtime
