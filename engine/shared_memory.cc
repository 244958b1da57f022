#include "engine/shared_memory.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "runtime/memory/linear_memory.h"

namespace kiln {

absl::StatusOr<SharedMemory> SharedMemory::New(const Engine& engine,
                                               const MemoryType& type) {
  if (!engine.config().wasm_features.threads) {
    return absl::FailedPreconditionError(
        "SharedMemory::New: the threads feature is disabled "
        "(Config::wasm_features.threads)");
  }
  if (!type.shared) {
    return absl::InvalidArgumentError(
        "SharedMemory::New: the memory type is not shared");
  }
  if (!type.limits.max.has_value()) {
    return absl::InvalidArgumentError(
        "SharedMemory::New: shared memory must have maximum");
  }
  if (type.is64) {
    // Sizes here are u32 pages and the runtime memory is made 32-bit.
    return absl::UnimplementedError(
        "SharedMemory::New: a shared 64-bit memory (threads with memory64) "
        "is not implemented");
  }
  runtime::LinearMemory::Options options;
  options.shared = true;
  absl::StatusOr<std::unique_ptr<runtime::LinearMemory>> m =
      runtime::LinearMemory::Create(type.limits.min, *type.limits.max,
                                    options);
  if (!m.ok()) {
    return absl::Status(m.status().code(),
                        absl::StrCat("SharedMemory::New: ", m.status().message()));
  }
  return SharedMemory(std::shared_ptr<runtime::LinearMemory>(std::move(*m)));
}

MemoryType SharedMemory::type() const {
  MemoryType t;
  t.limits.min = static_cast<uint32_t>(memory_->size_pages());
  t.limits.max = static_cast<uint32_t>(*memory_->max_pages());
  t.shared = true;
  return t;
}

uint8_t* SharedMemory::data() const { return memory_->base(); }
uint64_t SharedMemory::data_size() const { return memory_->size_bytes(); }
uint32_t SharedMemory::size() const {
  return static_cast<uint32_t>(memory_->size_pages());
}

absl::StatusOr<uint32_t> SharedMemory::Grow(uint32_t delta) const {
  const int64_t old = memory_->Grow(delta);
  if (old < 0) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "SharedMemory::Grow: cannot grow by ", delta, " pages from ",
        memory_->size_pages(), " (maximum ", memory_->limit_pages(), ")"));
  }
  return static_cast<uint32_t>(old);
}

absl::StatusOr<Memory> SharedMemory::ToMemory(StoreOpaque& store) const {
  std::vector<std::shared_ptr<runtime::LinearMemory>>& held =
      store.impl().shared_memories;
  bool found = false;
  for (const auto& m : held) found |= m == memory_;
  if (!found) held.push_back(memory_);
  return Memory::FromRaw(store.id(), memory_.get());
}

}  // namespace kiln
