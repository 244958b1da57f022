// GuestMemory: a bounds-checked view of a guest's linear memory (base and
// size, taken afresh for each WASI call because memory.grow can move or
// extend it). Every access checks `offset + length <= size` in 64-bit
// arithmetic, so no guest pointer or length can reach outside the memory.
#ifndef KILN_WASI_GUEST_MEMORY_H_
#define KILN_WASI_GUEST_MEMORY_H_

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace kiln::wasi {

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, uint64_t size) : base_(base), size_(size) {}

  uint8_t* base() const { return base_; }
  uint64_t size() const { return size_; }

  // True if [offset, offset + length) lies inside the memory.
  bool InBounds(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }
  // The host address of [offset, offset + length), or nullptr when it is
  // out of bounds. A zero-length range at `size` is in bounds.
  uint8_t* Slice(uint64_t offset, uint64_t length) const {
    if (!InBounds(offset, length)) return nullptr;
    return base_ + offset;
  }

  // Little-endian loads and stores of trivially copyable values; false
  // when out of bounds (nothing is written).
  template <typename T>
  bool Load(uint64_t offset, T* out) const {
    static_assert(std::is_trivially_copyable_v<T>);
    const uint8_t* p = Slice(offset, sizeof(T));
    if (p == nullptr) return false;
    std::memcpy(out, p, sizeof(T));
    return true;
  }
  template <typename T>
  bool Store(uint64_t offset, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    uint8_t* p = Slice(offset, sizeof(T));
    if (p == nullptr) return false;
    std::memcpy(p, &value, sizeof(T));
    return true;
  }
  bool Write(uint64_t offset, const void* data, uint64_t length) const {
    uint8_t* p = Slice(offset, length);
    if (p == nullptr) return false;
    if (length != 0) std::memcpy(p, data, length);
    return true;
  }
  // The bytes [offset, offset + length) as a string view, or false.
  bool ReadString(uint64_t offset, uint64_t length,
                  std::string_view* out) const {
    const uint8_t* p = Slice(offset, length);
    if (p == nullptr) return false;
    *out = std::string_view(reinterpret_cast<const char*>(p), length);
    return true;
  }

 private:
  uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace kiln::wasi

#endif  // KILN_WASI_GUEST_MEMORY_H_
