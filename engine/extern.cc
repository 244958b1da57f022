#include "engine/extern.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/internal.h"

namespace kiln {
namespace internal {

void StoreGlobal(abi::VMGlobalDefinition* def, const Val& value) {
  std::memset(def->storage, 0, sizeof(def->storage));
  ValRaw raw = value.ToRaw();
  const size_t n = value.type() == ValType::kI32 || value.type() == ValType::kF32
                       ? 4
                   : value.type() == ValType::kV128 ? 16
                                                    : 8;
  std::memcpy(def->storage, &raw, n);
}

Val LoadGlobal(const abi::VMGlobalDefinition* def, ValType type,
               StoreId store) {
  ValRaw raw{};
  std::memcpy(&raw, def->storage, sizeof(raw));
  return Val::FromRaw(type, raw, store);
}

}  // namespace internal

// --- Memory

absl::StatusOr<Memory> Memory::New(StoreOpaque& store, const MemoryType& type) {
  // The engine's features bound host memories as the validator bounds a
  // module's (a shared or 64-bit memory could otherwise reach code the
  // engine was configured without).
  const Config& config = store.engine().config();
  if (type.shared && !config.wasm_features.threads) {
    return absl::FailedPreconditionError(
        "Memory::New: a shared memory requires the threads feature, which is "
        "disabled (Config::wasm_features.threads)");
  }
  if (type.is64 && !config.wasm_features.memory64) {
    return absl::FailedPreconditionError(
        "Memory::New: a 64-bit memory requires the memory64 feature, which is "
        "disabled (Config::wasm_features.memory64)");
  }
  std::optional<uint64_t> max;
  if (type.limits.max.has_value()) max = *type.limits.max;
  // Resource limits (engine/limits.h): the initial size, then the count.
  if (absl::Status s = runtime::AdmitMemory(store.limiter_hook(), "Memory::New",
                                            0, type.limits.min, max);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = internal::AdmitHostMemory(store); !s.ok()) return s;
  if (type.shared && !max.has_value()) {
    return absl::InvalidArgumentError(
        "Memory::New: shared memory must have maximum");
  }
  runtime::LinearMemory::Options options;
  options.index64 = type.is64;
  options.max_bytes64 = store.engine().config().memory64_max_bytes;
  options.shared = type.shared;
  absl::StatusOr<std::unique_ptr<runtime::LinearMemory>> mem =
      runtime::LinearMemory::Create(type.limits.min, max, options);
  if (!mem.ok()) return mem.status();
  runtime::LinearMemory* raw = mem->get();
  store.impl().memories.push_back(*std::move(mem));
  return Memory(store.id(), raw);
}

absl::StatusOr<MemoryType> Memory::type(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  MemoryType t;
  t.limits.min = memory_->size_pages();
  t.limits.max = memory_->max_pages();
  t.is64 = memory_->index64();
  t.shared = memory_->shared();
  return t;
}

absl::StatusOr<uint8_t*> Memory::data(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  // The pointer may reach a system call (WASI's readv into guest memory),
  // which fails with EFAULT on a page the pool has not committed yet.
  if (!memory_->CommitAll()) {
    return absl::ResourceExhaustedError(
        "memory: committing its pages failed (mprotect)");
  }
  return memory_->base();
}
absl::StatusOr<uint8_t*> Memory::Bytes(const StoreOpaque& store,
                                       const char* what, uint64_t offset,
                                       uint64_t len) const {
  if (!OwnedBy(store)) return WrongStoreError();
  const uint64_t size = memory_->size_bytes();
  if (offset > size || len > size - offset) {
    return absl::OutOfRangeError(absl::StrCat(
        "Memory::", what, ": ", len, " bytes at offset ", offset,
        " do not fit in the memory of ", size, " bytes"));
  }
  // No CommitAll: a page not committed yet faults in the copy and the
  // signal handler commits it.
  return memory_->base() + offset;
}

absl::Status Memory::Read(const StoreOpaque& store, uint64_t offset,
                          absl::Span<uint8_t> out) const {
  absl::StatusOr<uint8_t*> from = Bytes(store, "Read", offset, out.size());
  if (!from.ok()) return from.status();
  if (!out.empty()) std::memcpy(out.data(), *from, out.size());
  return absl::OkStatus();
}

absl::Status Memory::Write(StoreOpaque& store, uint64_t offset,
                           absl::Span<const uint8_t> bytes) const {
  absl::StatusOr<uint8_t*> to = Bytes(store, "Write", offset, bytes.size());
  if (!to.ok()) return to.status();
  if (!bytes.empty()) std::memcpy(*to, bytes.data(), bytes.size());
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Memory::data_size(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return memory_->size_bytes();
}
absl::StatusOr<uint64_t> Memory::size(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return memory_->size_pages();
}

absl::StatusOr<uint64_t> Memory::Grow(StoreOpaque& store,
                                      uint64_t delta) const {
  if (!OwnedBy(store)) return WrongStoreError();
  // The store's limiter decides as for memory.grow; its error is returned
  // (there is no wasm to trap).
  runtime::LimitedGrow grow =
      runtime::GrowMemory(*memory_, delta, store.limiter_hook());
  if (!grow.error.ok()) return grow.error;
  const int64_t old = grow.old;
  if (old < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("memory cannot grow by ", delta, " pages"));
  }
  return static_cast<uint64_t>(old);
}

// --- Table

namespace {
absl::Status CheckRef(const StoreOpaque& store, ValType elem, const Val& v) {
  if (v.type() != elem) {
    return absl::InvalidArgumentError(
        absl::StrCat("value of type ", wasm::ValTypeName(v.type()),
                     " for a table of ", wasm::ValTypeName(elem)));
  }
  return internal::CheckValStore(store, v);
}
}  // namespace

absl::StatusOr<Table> Table::New(StoreOpaque& store, const TableType& type,
                                 const Val& init) {
  absl::Status s = CheckRef(store, type.elem_type, init);
  if (!s.ok()) return s;
  std::optional<uint64_t> max;
  if (type.limits.max.has_value()) max = *type.limits.max;
  s = runtime::AdmitTable(store.limiter_hook(), "Table::New", 0,
                          type.limits.min, max);
  if (!s.ok()) return s;
  s = internal::AdmitHostTable(store);
  if (!s.ok()) return s;
  absl::StatusOr<std::unique_ptr<runtime::Table>> t = runtime::Table::Create(
      type.elem_type, type.limits.min, type.limits.max, init.ToRaw().ref,
      internal::kFuncRefTableInitBit);
  if (!t.ok()) return t.status();
  runtime::Table* raw = t->get();
  store.impl().tables.push_back(*std::move(t));
  return Table(store.id(), raw);
}

absl::StatusOr<TableType> Table::type(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  TableType t;
  t.elem_type = table_->elem_type();
  t.limits.min = table_->size();
  t.limits.max = table_->max();
  return t;
}

absl::StatusOr<uint32_t> Table::size(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return table_->size();
}

absl::StatusOr<Val> Table::Get(StoreOpaque& store, uint32_t index) const {
  if (!OwnedBy(store)) return WrongStoreError();
  void* p = nullptr;
  if (!table_->Get(index, &p)) {
    return absl::OutOfRangeError(absl::StrCat(
        "table index ", index, " out of bounds (size ", table_->size(), ")"));
  }
  ValRaw raw = ValRaw::Ref(p);
  return Val::FromRaw(table_->elem_type(), raw, store_);
}

absl::Status Table::Set(StoreOpaque& store, uint32_t index,
                        const Val& value) const {
  if (!OwnedBy(store)) return WrongStoreError();
  absl::Status s = CheckRef(store, table_->elem_type(), value);
  if (!s.ok()) return s;
  if (!table_->Set(index, value.ToRaw().ref)) {
    return absl::OutOfRangeError(absl::StrCat(
        "table index ", index, " out of bounds (size ", table_->size(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> Table::Grow(StoreOpaque& store, uint32_t delta,
                                     const Val& init) const {
  if (!OwnedBy(store)) return WrongStoreError();
  absl::Status s = CheckRef(store, table_->elem_type(), init);
  if (!s.ok()) return s;
  runtime::LimitedGrow grow = runtime::GrowTable(
      *table_, delta, init.ToRaw().ref, store.limiter_hook());
  if (!grow.error.ok()) return grow.error;
  const int64_t old = grow.old;
  if (old < 0) {
    return absl::ResourceExhaustedError(
        absl::StrCat("table cannot grow by ", delta, " elements"));
  }
  return static_cast<uint32_t>(old);
}

// --- Global

absl::StatusOr<Global> Global::New(StoreOpaque& store, const GlobalType& type,
                                   const Val& value) {
  if (value.type() != type.type) {
    return absl::InvalidArgumentError(
        absl::StrCat("global of type ", wasm::ValTypeName(type.type),
                     " initialised with ", wasm::ValTypeName(value.type())));
  }
  if (absl::Status s = internal::CheckValStore(store, value); !s.ok()) {
    return s;
  }
  auto def = std::make_unique<abi::VMGlobalDefinition>();
  internal::StoreGlobal(def.get(), value);
  abi::VMGlobalDefinition* raw = def.get();
  store.impl().globals.push_back(std::move(def));
  return Global(store.id(), raw, type);
}

absl::StatusOr<Val> Global::Get(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return internal::LoadGlobal(def_, type_.type, store_);
}

absl::Status Global::Set(StoreOpaque& store, const Val& value) const {
  if (!OwnedBy(store)) return WrongStoreError();
  if (!type_.mutable_) {
    return absl::FailedPreconditionError("global is immutable");
  }
  if (value.type() != type_.type) {
    return absl::InvalidArgumentError(
        absl::StrCat("global of type ", wasm::ValTypeName(type_.type),
                     " set to ", wasm::ValTypeName(value.type())));
  }
  if (absl::Status s = internal::CheckValStore(store, value); !s.ok()) {
    return s;
  }
  internal::StoreGlobal(def_, value);
  return absl::OkStatus();
}

}  // namespace kiln
