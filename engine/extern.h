// Memory, Table, Global handles and Extern (any of them or a Func).
#ifndef KILN_ENGINE_EXTERN_H_
#define KILN_ENGINE_EXTERN_H_

#include <cstdint>
#include <optional>
#include <variant>

#include "absl/status/statusor.h"
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

  // Current type: limits.min is the current size in pages.
  MemoryType type(const StoreOpaque& store) const;
  uint8_t* data(const StoreOpaque& store) const;
  uint64_t data_size(const StoreOpaque& store) const;
  uint32_t size(const StoreOpaque& store) const;  // pages
  // Old size in pages, or an error when the memory cannot grow that much.
  absl::StatusOr<uint32_t> Grow(StoreOpaque& store, uint32_t delta) const;

  runtime::LinearMemory* raw() const { return memory_; }
  static Memory FromRaw(runtime::LinearMemory* m) { return Memory(m); }
  friend bool operator==(const Memory& a, const Memory& b) { return a.memory_ == b.memory_; }

 private:
  explicit Memory(runtime::LinearMemory* m) : memory_(m) {}
  runtime::LinearMemory* memory_;
};

class Table {
 public:
  static absl::StatusOr<Table> New(StoreOpaque& store, const TableType& type,
                                   const Val& init);

  TableType type(const StoreOpaque& store) const;
  uint32_t size(const StoreOpaque& store) const;
  std::optional<Val> Get(StoreOpaque& store, uint32_t index) const;
  absl::Status Set(StoreOpaque& store, uint32_t index, const Val& value) const;
  absl::StatusOr<uint32_t> Grow(StoreOpaque& store, uint32_t delta,
                                const Val& init) const;

  runtime::Table* raw() const { return table_; }
  static Table FromRaw(runtime::Table* t) { return Table(t); }
  friend bool operator==(const Table& a, const Table& b) { return a.table_ == b.table_; }

 private:
  explicit Table(runtime::Table* t) : table_(t) {}
  runtime::Table* table_;
};

class Global {
 public:
  static absl::StatusOr<Global> New(StoreOpaque& store, const GlobalType& type,
                                    const Val& value);

  const GlobalType& type() const { return type_; }
  Val Get(const StoreOpaque& store) const;
  // Fails for immutable globals and type mismatches.
  absl::Status Set(StoreOpaque& store, const Val& value) const;

  abi::VMGlobalDefinition* raw() const { return def_; }
  static Global FromRaw(abi::VMGlobalDefinition* def, const GlobalType& type) {
    return Global(def, type);
  }
  friend bool operator==(const Global& a, const Global& b) { return a.def_ == b.def_; }

 private:
  Global(abi::VMGlobalDefinition* def, const GlobalType& type)
      : def_(def), type_(type) {}
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

 private:
  std::variant<Func, Memory, Table, Global> v_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_EXTERN_H_
