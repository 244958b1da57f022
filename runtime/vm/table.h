// Table: a wasm table of references, with the VMTableDefinition compiled
// code reads.
//
// Slot encoding (what compiled code sees at VMTableDefinition::base):
//   externref tables: the reference pointer itself (null = 0).
//   funcref tables:   VMFuncRef* (null = 0); with `init_bit` set (the
//     default, abi::kFuncRefTableInitBit, as for the translator)
//     every initialised slot also carries abi::kFuncRefInitBit, so an
//     initialised null is 1. Compiled code masks the bit off; a slot
//     without it goes through the TableGetLazyInit builtin.
// Get/Set take and return decoded pointers. Grow may move the slots; the
// definition (and any bound copy in a VMContext) is updated.
//
// Lazy tables (MakeLazy): every slot starts as raw 0, "uninitialised"; its
// value comes from a resolver the first time anything reads it (Get, Copy,
// ResolveSlot, or compiled code through the TableGetLazyInit builtin, which
// it calls for any slot without the init bit). Writes just overwrite.
// Not thread-safe (one store, one thread at a time).
#ifndef KILN_RUNTIME_VM_TABLE_H_
#define KILN_RUNTIME_VM_TABLE_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/abi/vm_offsets.h"
#include "wasm/types.h"

namespace kiln::runtime {

class Table {
 public:
  // Implementation limit on elements (wasm allows up to 2^32 - 1).
  static constexpr uint64_t kMaxElements = 10'000'000;

  // A table of `elem_type` (kFuncRef or kExternRef) with `min` elements set
  // to `init`, growing up to `max` (or kMaxElements).
  // `leave_zero`: the slots start raw 0 instead of `init` (the caller
  // makes the table lazy next, MakeLazy(..., true): one pass, not two).
  static absl::StatusOr<std::unique_ptr<Table>> Create(
      wasm::ValType elem_type, uint32_t min, std::optional<uint32_t> max,
      void* init = nullptr, bool init_bit = abi::kFuncRefTableInitBit,
      bool leave_zero = false);
  // The same over storage the table does not own (a pooling allocator's
  // slot, runtime/pool): `capacity` slots at `storage`, all zero. The table
  // never grows past `capacity` and never moves; whoever owns the storage
  // resets it after the table is gone. `leave_zero`: do not write `init`
  // (the caller makes the table lazy next, MakeLazy(..., true)). The Table
  // object is constructed at `where` (sizeof(Table) bytes, aligned for it):
  // destroy it with ~Table().
  static absl::StatusOr<Table*> CreateInStorage(
      void* where, wasm::ValType elem_type, uint32_t min,
      std::optional<uint32_t> max, void* init, bool init_bit,
      uintptr_t* storage, uint64_t capacity, bool leave_zero = false);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  wasm::ValType elem_type() const { return elem_type_; }
  uint32_t size() const { return size_; }
  std::optional<uint32_t> max() const { return max_; }
  bool uses_init_bit() const { return init_bit_; }

  using LazyResolver = void* (*)(void* ctx, uint32_t index);
  // Makes the table lazy (see above): all current slots become
  // uninitialised and are resolved by resolver(ctx, index) on first read.
  // Only funcref tables that use the init bit can be lazy.
  // `slots_are_zero`: the caller knows every slot is raw 0 already (fresh
  // pooled storage), so nothing is written (instantiation must not cost
  // per element).
  absl::Status MakeLazy(LazyResolver resolver, void* ctx,
                        bool slots_are_zero = false);
  bool lazy() const { return resolver_ != nullptr; }
  // One past the highest slot written since creation (0: none). Every
  // write goes through this class (compiled code only reads slots), so a
  // pooling allocator resets just [0, written_end()) of a dropped table.
  uint64_t written_end() const { return written_end_; }
  // The decoded value of slot `index` (< size()), initialising it first if
  // it is uninitialised.
  void* ResolveSlot(uint32_t index) const;

  // Bounds-checked element access; false if index >= size().
  bool Get(uint32_t index, void** out) const;
  bool Set(uint32_t index, void* value);
  // The encoded slot (for TableGetLazyInit). index < size().
  uintptr_t raw_slot(uint32_t index) const { return slots_[index]; }

  // table.grow: returns the old size, or -1 if the new size would exceed
  // the maximum.
  int64_t Grow(uint32_t delta, void* init);
  // table.fill / table.copy / table.init: false (and no effect) when out of
  // bounds. Copy handles overlap (dst may be src).
  bool Fill(uint32_t dst, void* value, uint32_t len);
  static bool Copy(Table& dst_table, uint32_t dst, const Table& src_table,
                   uint32_t src, uint32_t len);
  bool Init(uint32_t dst, absl::Span<void* const> items, uint32_t src,
            uint32_t len);

  const abi::VMTableDefinition& definition() const { return definition_; }
  // Keeps `*target` (e.g. in the owning VMContext) equal to definition().
  void BindDefinition(abi::VMTableDefinition* target);

  uintptr_t Encode(void* value) const {
    auto v = reinterpret_cast<uintptr_t>(value);
    return (elem_type_ == wasm::ValType::kFuncRef && init_bit_)
               ? v | abi::kFuncRefInitBit
               : v;
  }
  void* Decode(uintptr_t slot) const {
    return reinterpret_cast<void*>(
        elem_type_ == wasm::ValType::kFuncRef ? slot & ~abi::kFuncRefInitBit
                                              : slot);
  }

 private:
  Table() = default;
  void Publish();

  wasm::ValType elem_type_ = wasm::ValType::kFuncRef;
  bool init_bit_ = abi::kFuncRefTableInitBit;
  std::optional<uint32_t> max_;
  uint64_t limit_ = 0;
  // The slots: owned_'s buffer, or external storage (CreateInStorage).
  // mutable: resolving a lazy slot on read is logically const.
  mutable uintptr_t* slots_ = nullptr;
  uint32_t size_ = 0;
  std::vector<uintptr_t> owned_;
  bool external_ = false;
  LazyResolver resolver_ = nullptr;
  void* resolver_ctx_ = nullptr;
  abi::VMTableDefinition definition_{};
  abi::VMTableDefinition* bound_ = nullptr;
  mutable uint64_t written_end_ = 0;
  void NoteWritten(uint64_t first, uint64_t count) const {
    written_end_ = std::max(written_end_, first + count);
  }
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_VM_TABLE_H_
