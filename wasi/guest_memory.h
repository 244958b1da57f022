// GuestMemory: a bounds-checked view of a guest's linear memory (base and
// size, taken afresh for each WASI call because memory.grow can move or
// extend it). Every access checks `offset + length <= size` in 64-bit
// arithmetic, so no guest pointer or length can reach outside the memory.
//
// The view also knows the guest's pointer width (its ABI): a memory64
// guest's `size_t` and pointer fields in WASI structs (iovec, prestat, the
// argv array, the byte counts written back) are 8 bytes, a 32-bit guest's
// 4. Pointer and size arguments arrive as u64 either way.
#ifndef KILN_WASI_GUEST_MEMORY_H_
#define KILN_WASI_GUEST_MEMORY_H_

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace kiln::wasi {

// The guest's pointer width: wasm32 (i32 pointers, 4-byte size_t) or
// wasm64 (a memory64 guest: i64 pointers, 8-byte size_t).
enum class Abi : uint8_t { kWasm32, kWasm64 };

class GuestMemory {
 public:
  GuestMemory() = default;
  GuestMemory(uint8_t* base, uint64_t size, Abi abi = Abi::kWasm32)
      : base_(base), size_(size), abi_(abi) {}

  uint8_t* base() const { return base_; }
  uint64_t size() const { return size_; }
  Abi abi() const { return abi_; }
  // Bytes of a guest pointer or size_t: 4 or 8.
  uint64_t ptr_size() const { return abi_ == Abi::kWasm64 ? 8 : 4; }

  // True if [offset, offset + length) lies inside the memory.
  bool InBounds(uint64_t offset, uint64_t length) const {
    return offset <= size_ && length <= size_ - offset;
  }
  // True if `count` elements of `elem` bytes at `offset` lie inside the
  // memory (the product cannot wrap: a memory64 guest passes u64 counts).
  bool InBoundsArray(uint64_t offset, uint64_t count, uint64_t elem) const {
    uint64_t bytes;
    return !__builtin_mul_overflow(count, elem, &bytes) &&
           InBounds(offset, bytes);
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
  // A guest pointer or size_t field (ptr_size() bytes). Storing a value
  // wider than a 32-bit guest's field keeps its low 32 bits; callers check
  // for overflow first where the value can exceed it.
  bool LoadPtr(uint64_t offset, uint64_t* out) const {
    if (abi_ == Abi::kWasm64) return Load(offset, out);
    uint32_t v;
    if (!Load(offset, &v)) return false;
    *out = v;
    return true;
  }
  bool StorePtr(uint64_t offset, uint64_t value) const {
    if (abi_ == Abi::kWasm64) return Store(offset, value);
    return Store(offset, static_cast<uint32_t>(value));
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
  Abi abi_ = Abi::kWasm32;
};

}  // namespace kiln::wasi

#endif  // KILN_WASI_GUEST_MEMORY_H_
