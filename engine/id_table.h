// IdTable<T>: dense uint32 id -> const T*, lock-free reads. Writers
// serialize on their own mutex; an entry, once set, never changes, so a
// reader sees either null (then takes the writer's slow path) or the final
// pointer.
#ifndef KILN_ENGINE_ID_TABLE_H_
#define KILN_ENGINE_ID_TABLE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace kiln::internal {

template <typename T>
class IdTable {
 public:
  static constexpr uint32_t kChunkBits = 8;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr uint32_t kMaxChunks = 4096;  // 1M ids
  static constexpr uint32_t kMaxIds = kChunkSize * kMaxChunks;

  IdTable() {
    for (auto& c : chunks_) c.store(nullptr, std::memory_order_relaxed);
  }
  ~IdTable() {
    for (auto& c : chunks_) delete[] c.load(std::memory_order_relaxed);
  }
  IdTable(const IdTable&) = delete;
  IdTable& operator=(const IdTable&) = delete;

  const T* Get(uint32_t id) const {
    if (id >= kMaxIds) return nullptr;
    std::atomic<const T*>* chunk =
        chunks_[id >> kChunkBits].load(std::memory_order_acquire);
    if (chunk == nullptr) return nullptr;
    return chunk[id & (kChunkSize - 1)].load(std::memory_order_acquire);
  }

  // Callers serialize Set. Ids past kMaxIds are not cached (Get keeps
  // returning null, so readers use the slow path).
  void Set(uint32_t id, const T* value) {
    if (id >= kMaxIds) return;
    std::atomic<std::atomic<const T*>*>& slot = chunks_[id >> kChunkBits];
    std::atomic<const T*>* chunk = slot.load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      chunk = new std::atomic<const T*>[kChunkSize];
      for (uint32_t i = 0; i < kChunkSize; ++i) {
        chunk[i].store(nullptr, std::memory_order_relaxed);
      }
      slot.store(chunk, std::memory_order_release);
    }
    chunk[id & (kChunkSize - 1)].store(value, std::memory_order_release);
  }

 private:
  std::atomic<std::atomic<const T*>*> chunks_[kMaxChunks];
};

}  // namespace kiln::internal

#endif  // KILN_ENGINE_ID_TABLE_H_
