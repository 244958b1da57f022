#include "engine/async_host_func.h"

namespace kiln::internal {

absl::Status CopyAsyncResults(const FuncType& type, std::string_view where,
                              absl::StatusOr<std::vector<Val>> values,
                              absl::Span<Val> results) {
  if (!values.ok()) return values.status();
  if (values->size() != type.results.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(absl::string_view(where.data(), where.size()), ": the future gave ", values->size(),
                     " results, the type ", type.ToString(), " has ",
                     type.results.size()));
  }
  for (size_t i = 0; i < values->size(); ++i) {
    if ((*values)[i].type() != type.results[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          absl::string_view(where.data(), where.size()), ": result ", i, " has type ",
          wasm::ValTypeName((*values)[i].type()), ", expected ",
          wasm::ValTypeName(type.results[i])));
    }
    results[i] = (*values)[i];
  }
  return absl::OkStatus();
}

}  // namespace kiln::internal
