// Instance: an instantiated module in a store.
#ifndef KILN_ENGINE_INSTANCE_H_
#define KILN_ENGINE_INSTANCE_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/extern.h"
#include "engine/func.h"
#include "engine/module.h"
#include "engine/store.h"
#include "engine/store_id.h"
#include "engine/trap.h"

namespace kiln {

class Instance;
namespace internal {
struct InstanceData;
// Instantiates with imports already checked (store and types); see
// Instance::Create, linker/'s InstancePre.
Result<Instance> InstantiateChecked(StoreOpaque& store, const Module& module,
                                    absl::Span<const Extern> imports);
}  // namespace internal

class Instance {
 public:
  // Instantiates `module` with `imports` in the module's import order.
  // Errors: wrong number of imports, "incompatible import type" (function
  // signature, table/memory limits, global type and mutability), resource
  // limits. A trap while applying segments or in the start function is
  // returned as the Trap; the partly initialised instance stays in the
  // store (its effects on imported tables and memories persist, as the
  // spec requires).
  static Result<Instance> Create(StoreOpaque& store, const Module& module,
                                 absl::Span<const Extern> imports);

  // Every accessor checks the store first (WrongStoreError()). A missing
  // export (or one of another kind) is NotFound.
  absl::StatusOr<Extern> GetExport(StoreOpaque& store,
                                   std::string_view name) const;
  absl::StatusOr<Func> GetFunc(StoreOpaque& store, std::string_view name) const;
  absl::StatusOr<Memory> GetMemory(StoreOpaque& store,
                                   std::string_view name) const;
  absl::StatusOr<Table> GetTable(StoreOpaque& store,
                                 std::string_view name) const;
  absl::StatusOr<Global> GetGlobal(StoreOpaque& store,
                                   std::string_view name) const;
  template <typename Sig>
  absl::StatusOr<TypedFunc<Sig>> GetTypedFunc(StoreOpaque& store,
                                              std::string_view name) const {
    absl::StatusOr<Func> f = GetFunc(store, name);
    if (!f.ok()) return f.status();
    return TypedFunc<Sig>::Create(store, *f);
  }
  // All exports in declaration order.
  absl::StatusOr<std::vector<std::pair<std::string, Extern>>> Exports(
      StoreOpaque& store) const;
  absl::StatusOr<Module> module(const StoreOpaque& store) const;

  StoreId store_id() const { return store_; }
  bool OwnedBy(const StoreOpaque& store) const { return store.id() == store_; }
  // Equal for every handle to one instance (never dereference it).
  const void* identity() const { return data_; }

  friend bool operator==(const Instance& a, const Instance& b) {
    return a.store_ == b.store_ && a.data_ == b.data_;
  }

 private:
  friend Result<Instance> internal::InstantiateChecked(
      StoreOpaque&, const Module&, absl::Span<const Extern>);
  Instance(StoreId store, internal::InstanceData* data)
      : store_(store), data_(data) {}
  StoreId store_;
  internal::InstanceData* data_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_INSTANCE_H_
