// Memory, Table, Global handles and Extern (any of them or a Func).
#ifndef KILN_ENGINE_EXTERN_H_
#define KILN_ENGINE_EXTERN_H_

#include <cstdint>
#include <optional>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/func.h"
#include "engine/store.h"
#include "engine/val.h"
#include "runtime/abi/vm_offsets.h"
#include "wasm/types.h"

namespace kiln::runtime {
class LinearMemory;
class Table;
}  // namespace kiln::runtime

namespace kiln {

class Memory {
 public:
  static absl::StatusOr<Memory> New(StoreOpaque& store, const MemoryType& type);

  // Every accessor checks the store first (WrongStoreError()).
  // Current type: limits.min is the current size in pages.
  absl::StatusOr<MemoryType> type(const StoreOpaque& store) const;
  // The memory's bytes (the base never moves). Commits every page first
  // (a pooled memory commits lazily, PoolingAllocationConfig::lazy_commit),
  // so the pointer may go to a system call; Read / Write copy without
  // that.
  absl::StatusOr<uint8_t*> data(const StoreOpaque& store) const;
  absl::StatusOr<uint64_t> data_size(const StoreOpaque& store) const;
  // Copies out.size() bytes at `offset` to `out` / bytes to `offset`
  // (wasmtime's Memory::read / write). OutOfRange, naming the offset,
  // length and size, when they do not fit.
  absl::Status Read(const StoreOpaque& store, uint64_t offset,
                    absl::Span<uint8_t> out) const;
  absl::Status Write(StoreOpaque& store, uint64_t offset,
                     absl::Span<const uint8_t> bytes) const;
  // Pages; u64 because a 64-bit memory (MemoryType::is64) may have more
  // than 2^32 of them.
  absl::StatusOr<uint64_t> size(const StoreOpaque& store) const;
  // Old size in pages, or an error when the memory cannot grow that much.
  absl::StatusOr<uint64_t> Grow(StoreOpaque& store, uint64_t delta) const;

  StoreId store_id() const { return store_; }
  bool OwnedBy(const StoreOpaque& store) const { return store.id() == store_; }
  // Unchecked: valid only while the store `store_id()` names lives.
  runtime::LinearMemory* raw() const { return memory_; }
  static Memory FromRaw(StoreId store, runtime::LinearMemory* m) {
    return Memory(store, m);
  }
  friend bool operator==(const Memory& a, const Memory& b) {
    return a.store_ == b.store_ && a.memory_ == b.memory_;
  }

 private:
  Memory(StoreId store, runtime::LinearMemory* m) : store_(store), memory_(m) {}
  // The address of [offset, offset + len) for Read / Write (`what`), after
  // the store and bounds checks.
  absl::StatusOr<uint8_t*> Bytes(const StoreOpaque& store, const char* what,
                                 uint64_t offset, uint64_t len) const;
  StoreId store_;
  runtime::LinearMemory* memory_;
};

class Table {
 public:
  static absl::StatusOr<Table> New(StoreOpaque& store, const TableType& type,
                                   const Val& init);

  // Every accessor checks the store first (WrongStoreError()); a funcref
  // value must come from the same store.
  absl::StatusOr<TableType> type(const StoreOpaque& store) const;
  absl::StatusOr<uint32_t> size(const StoreOpaque& store) const;
  // OutOfRange past the end.
  absl::StatusOr<Val> Get(StoreOpaque& store, uint32_t index) const;
  absl::Status Set(StoreOpaque& store, uint32_t index, const Val& value) const;
  absl::StatusOr<uint32_t> Grow(StoreOpaque& store, uint32_t delta,
                                const Val& init) const;

  StoreId store_id() const { return store_; }
  bool OwnedBy(const StoreOpaque& store) const { return store.id() == store_; }
  // Unchecked: valid only while the store `store_id()` names lives.
  runtime::Table* raw() const { return table_; }
  static Table FromRaw(StoreId store, runtime::Table* t) {
    return Table(store, t);
  }
  friend bool operator==(const Table& a, const Table& b) {
    return a.store_ == b.store_ && a.table_ == b.table_;
  }

 private:
  Table(StoreId store, runtime::Table* t) : store_(store), table_(t) {}
  StoreId store_;
  runtime::Table* table_;
};

class Global {
 public:
  static absl::StatusOr<Global> New(StoreOpaque& store, const GlobalType& type,
                                    const Val& value);

  // Kept in the handle: reading it touches no store.
  const GlobalType& type() const { return type_; }
  // Both check the store first (WrongStoreError()).
  absl::StatusOr<Val> Get(const StoreOpaque& store) const;
  // Fails for immutable globals, type mismatches and funcrefs of another
  // store.
  absl::Status Set(StoreOpaque& store, const Val& value) const;

  StoreId store_id() const { return store_; }
  bool OwnedBy(const StoreOpaque& store) const { return store.id() == store_; }
  // Unchecked: valid only while the store `store_id()` names lives.
  abi::VMGlobalDefinition* raw() const { return def_; }
  static Global FromRaw(StoreId store, abi::VMGlobalDefinition* def,
                        const GlobalType& type) {
    return Global(store, def, type);
  }
  friend bool operator==(const Global& a, const Global& b) {
    return a.store_ == b.store_ && a.def_ == b.def_;
  }

 private:
  Global(StoreId store, abi::VMGlobalDefinition* def, const GlobalType& type)
      : store_(store), def_(def), type_(type) {}
  StoreId store_;
  abi::VMGlobalDefinition* def_;
  GlobalType type_;
};

class Extern {
 public:
  Extern(Func f) : v_(f) {}      // NOLINT
  Extern(Memory m) : v_(m) {}    // NOLINT
  Extern(Table t) : v_(t) {}     // NOLINT
  Extern(Global g) : v_(g) {}    // NOLINT

  wasm::ExternKind kind() const {
    switch (v_.index()) {
      case 0: return wasm::ExternKind::kFunction;
      case 1: return wasm::ExternKind::kMemory;
      case 2: return wasm::ExternKind::kTable;
      default: return wasm::ExternKind::kGlobal;
    }
  }
  const Func* func() const { return std::get_if<Func>(&v_); }
  const Memory* memory() const { return std::get_if<Memory>(&v_); }
  const Table* table() const { return std::get_if<Table>(&v_); }
  const Global* global() const { return std::get_if<Global>(&v_); }

  StoreId store_id() const {
    return std::visit([](const auto& h) { return h.store_id(); }, v_);
  }
  bool OwnedBy(const StoreOpaque& store) const {
    return store.id() == store_id();
  }

 private:
  std::variant<Func, Memory, Table, Global> v_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_EXTERN_H_
