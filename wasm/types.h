// Value, function, table, memory and global types of WebAssembly 2.0.
#ifndef KILN_WASM_TYPES_H_
#define KILN_WASM_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/types/span.h"

namespace kiln::wasm {

// Value types. The enumerator values are the binary encodings.
enum class ValType : uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};

// Returns the value type for a binary encoding byte, or nullopt.
std::optional<ValType> ValTypeFromByte(uint8_t b);
inline bool IsRefType(ValType t) {
  return t == ValType::kFuncRef || t == ValType::kExternRef;
}
inline bool IsNumType(ValType t) { return !IsRefType(t) && t != ValType::kV128; }
// "i32", "funcref", ...
const char* ValTypeName(ValType t);
// Size in bytes of a value of a numeric/vector type (refs: pointer size 8).
int ValTypeSize(ValType t);

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;

  friend bool operator==(const FuncType& a, const FuncType& b) {
    return a.params == b.params && a.results == b.results;
  }
  friend bool operator!=(const FuncType& a, const FuncType& b) {
    return !(a == b);
  }
  template <typename H>
  friend H AbslHashValue(H h, const FuncType& f) {
    return H::combine(std::move(h), f.params, f.results);
  }
  // "(i32, i64) -> (f32)"
  std::string ToString() const;
};

// 64-bit so a memory64 type's page counts fit (up to 2^48); the decoder
// keeps tables' and 32-bit memories' limits within u32.
struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  friend bool operator==(const Limits& a, const Limits& b) {
    return a.min == b.min && a.max == b.max;
  }
};

struct TableType {
  ValType elem_type = ValType::kFuncRef;
  Limits limits;
  friend bool operator==(const TableType& a, const TableType& b) {
    return a.elem_type == b.elem_type && a.limits == b.limits;
  }
};

struct MemoryType {
  Limits limits;  // In 64 KiB pages.
  // Memory64: addresses, sizes and memory.size/grow values are i64 (limits
  // flag bit 2).
  bool is64 = false;
  // Threads proposal: a shared memory (always has a maximum); its accesses
  // may race with other threads' and it is never moved.
  bool shared = false;
  // The type of an address (and memory.size/grow value) into this memory.
  ValType index_type() const { return is64 ? ValType::kI64 : ValType::kI32; }
  friend bool operator==(const MemoryType& a, const MemoryType& b) {
    return a.limits == b.limits && a.is64 == b.is64 && a.shared == b.shared;
  }
};

struct GlobalType {
  ValType type = ValType::kI32;
  bool mutable_ = false;
  friend bool operator==(const GlobalType& a, const GlobalType& b) {
    return a.type == b.type && a.mutable_ == b.mutable_;
  }
};

// External kinds; values are the binary encodings in import/export entries.
enum class ExternKind : uint8_t {
  kFunction = 0,
  kTable = 1,
  kMemory = 2,
  kGlobal = 3,
};
const char* ExternKindName(ExternKind k);

}  // namespace kiln::wasm

#endif  // KILN_WASM_TYPES_H_
