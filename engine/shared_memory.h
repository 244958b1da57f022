// SharedMemory: a shared linear memory (threads proposal) that the
// embedder creates once, outside any store, and imports into stores on
// several threads, as wasmtime's SharedMemory.
//
//   kiln::MemoryType type;
//   type.limits = {1, 16};
//   type.shared = true;
//   absl::StatusOr<kiln::SharedMemory> mem = kiln::SharedMemory::New(engine, type);
//   // On each thread, with that thread's store:
//   absl::StatusOr<kiln::Memory> m = mem->ToMemory(store);
//   linker.Define("env", "memory", *m);   // or pass it as an import
//
// The memory is reserved at its full size up front (the 4 GiB reservation
// every memory32 has), so it is never moved; growth (from any thread, or
// from wasm's memory.grow) is serialized and visible to all threads. It is
// reference counted: each store that imported it and every SharedMemory
// handle keep it alive, so it is never freed or reset while in use. The
// pooling allocator never holds one (a pool slot is reset for reuse).
// memory.atomic.wait / notify on it use its wait queue
// (runtime/memory/parking_lot.h). Handles are cheap to copy and may be
// used from any thread.
#ifndef KILN_ENGINE_SHARED_MEMORY_H_
#define KILN_ENGINE_SHARED_MEMORY_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "engine/extern.h"
#include "wasm/types.h"

namespace kiln {

class Engine;

class SharedMemory {
 public:
  // `type` must be shared and have a maximum; the engine's
  // Config::wasm_features.threads must be on.
  static absl::StatusOr<SharedMemory> New(const Engine& engine,
                                          const MemoryType& type);

  // The current type: limits.min is the current size in pages.
  MemoryType type() const;
  uint8_t* data() const;
  uint64_t data_size() const;
  uint32_t size() const;  // pages
  // Old size in pages, or an error when the memory cannot grow that much.
  // Safe to call while other threads run wasm that uses the memory.
  absl::StatusOr<uint32_t> Grow(uint32_t delta) const;

  // A Memory handle of `store` for this memory, for imports and Linker
  // definitions; the store keeps the memory alive from then on. Calling it
  // again for the same store returns an equal handle.
  absl::StatusOr<Memory> ToMemory(StoreOpaque& store) const;

  runtime::LinearMemory* raw() const { return memory_.get(); }
  friend bool operator==(const SharedMemory& a, const SharedMemory& b) {
    return a.memory_ == b.memory_;
  }

 private:
  explicit SharedMemory(std::shared_ptr<runtime::LinearMemory> m)
      : memory_(std::move(m)) {}

  std::shared_ptr<runtime::LinearMemory> memory_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_SHARED_MEMORY_H_
