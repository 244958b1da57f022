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
#include "engine/trap.h"

namespace kiln {

namespace internal {
struct InstanceData;
}

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

  std::optional<Extern> GetExport(StoreOpaque& store,
                                  std::string_view name) const;
  std::optional<Func> GetFunc(StoreOpaque& store, std::string_view name) const;
  std::optional<Memory> GetMemory(StoreOpaque& store,
                                  std::string_view name) const;
  std::optional<Table> GetTable(StoreOpaque& store,
                                std::string_view name) const;
  std::optional<Global> GetGlobal(StoreOpaque& store,
                                  std::string_view name) const;
  template <typename Sig>
  absl::StatusOr<TypedFunc<Sig>> GetTypedFunc(StoreOpaque& store,
                                              std::string_view name) const {
    std::optional<Func> f = GetFunc(store, name);
    if (!f.has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no function export named \"", absl::string_view(name.data(), name.size()), "\""));
    }
    return TypedFunc<Sig>::Create(store, *f);
  }
  // All exports in declaration order.
  std::vector<std::pair<std::string, Extern>> Exports(StoreOpaque& store) const;

  const Module& module() const;

 private:
  explicit Instance(internal::InstanceData* data) : data_(data) {}
  internal::InstanceData* data_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_INSTANCE_H_
