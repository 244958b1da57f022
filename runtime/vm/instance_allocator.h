// InstanceAllocator: where an instance's storage comes from -- its block
// (the runtime::Instance object and its VMContext), its defined memories
// and tables, and the fiber stacks of async calls (wasmtime's
// InstanceAllocator). Two implementations: OnDemandAllocator
// (runtime/vm/on_demand_allocator.h: calloc and mmap per instance) and
// PoolingInstanceAllocator (runtime/pool/pooling_instance_allocator.h:
// preallocated slots). runtime::Instance only talks to this interface.
//
// Thread-safe: any thread may allocate and deallocate. What one allocation
// returns is used by one thread at a time.
#ifndef KILN_RUNTIME_VM_INSTANCE_ALLOCATOR_H_
#define KILN_RUNTIME_VM_INSTANCE_ALLOCATOR_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/fiber/fiber_stack.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/memory/memory_image.h"
#include "runtime/vm/table.h"
#include "wasm/types.h"

namespace kiln::runtime {

// One instance's block, as Instance::Create lays it out.
struct InstanceRequest {
  // Instance object, VMContext, imported functions' type ids, and room for
  // the defined memories' and tables' objects (`where` below).
  uint64_t block_bytes = 0;
  uint32_t defined_memories = 0;
  uint32_t defined_tables = 0;
  // The defined functions' funcrefs: filled lazily, and the same for every
  // instance of one module in one place (code, type id, VMContext), so an
  // allocator that reuses blocks may keep them for the next instance of
  // `module_id` (unique per module in the process; 0: unknown).
  uint64_t sparse_begin = 0;
  uint64_t sparse_end = 0;
  uint64_t module_id = 0;
};

// What AllocateInstance handed out; passed back with every later call.
struct InstanceAllocation {
  void* block = nullptr;  // zero (but for funcrefs kept for module_id), 16-aligned
  uint32_t slot = 0;      // the allocator's own index (a pool slot)
};

struct MemoryRequest {
  uint32_t index = 0;    // in the module's memory index space (messages)
  uint32_t defined = 0;  // among the defined memories
  uint64_t min_pages = 0;
  std::optional<uint64_t> max_pages;
  // The instance's memory settings (reservation, guard); an allocator with
  // fixed slots has its own.
  LinearMemory::Options options;
  // Initial contents to map (memory 0's copy-on-write image), or null;
  // `image_id` identifies it in the process (a pooled memory that still
  // holds it is not mapped again).
  const MemoryImage* image = nullptr;
  uint64_t image_id = 0;
  // Room in the instance block for the LinearMemory object.
  void* where = nullptr;
};

struct TableRequest {
  uint32_t index = 0;    // in the module's table index space (messages)
  uint32_t defined = 0;  // among the defined tables
  wasm::ValType elem_type = wasm::ValType::kFuncRef;
  uint32_t min = 0;
  std::optional<uint32_t> max;
  bool init_bit = false;
  // Leave the slots zero (a lazily filled funcref table).
  bool leave_zero = false;
  // Room in the instance block for the Table object.
  void* where = nullptr;
};

class InstanceAllocator {
 public:
  virtual ~InstanceAllocator() = default;

  // A zeroed block of request.block_bytes, or an error naming the limit
  // ("pooling allocator: ...").
  virtual absl::StatusOr<InstanceAllocation> AllocateInstance(
      const InstanceRequest& request) = 0;
  // After every memory and table of the allocation was deallocated and the
  // instance object destroyed. `request` is the one it was allocated with.
  virtual void DeallocateInstance(const InstanceAllocation& allocation,
                                  const InstanceRequest& request) = 0;

  // A memory holding request.image's contents when one is given.
  virtual absl::StatusOr<LinearMemory*> AllocateMemory(
      const InstanceAllocation& allocation, const MemoryRequest& request) = 0;
  virtual void DeallocateMemory(const InstanceAllocation& allocation,
                                uint32_t defined, LinearMemory* memory) = 0;

  virtual absl::StatusOr<Table*> AllocateTable(
      const InstanceAllocation& allocation, const TableRequest& request) = 0;
  virtual void DeallocateTable(const InstanceAllocation& allocation,
                               uint32_t defined, Table* table) = 0;

  // A stack for a fiber (an async call's), reused when possible.
  virtual absl::StatusOr<FiberStack> AllocateFiberStack() = 0;
  virtual void DeallocateFiberStack(FiberStack stack) = 0;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_VM_INSTANCE_ALLOCATOR_H_
