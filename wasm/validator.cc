#include "wasm/validator.h"

#include "absl/strings/str_cat.h"
#include "wasm/function_body_decoder.h"

namespace kiln::wasm {

absl::Status ValidateFunction(const ModuleInfo& module, uint32_t func_index) {
  if (func_index >= module.functions.size() ||
      module.functions[func_index].imported) {
    return absl::InvalidArgumentError(absl::StrCat(
        "function ", func_index, " is not a defined function of the module"));
  }
  NullInterface iface;
  FunctionBodyDecoder<NullInterface> decoder(module, func_index, &iface);
  return decoder.Decode();
}

absl::Status ValidateAllFunctions(const ModuleInfo& module) {
  const uint32_t n = static_cast<uint32_t>(module.functions.size());
  const uint32_t first = module.num_imported_functions;
  if (first >= n) return absl::OkStatus();
  NullInterface iface;
  FunctionBodyDecoder<NullInterface> decoder(module, first, &iface);
  for (uint32_t f = first; f < n; ++f) {
    if (f != first) decoder.Reset(f);
    absl::Status s = decoder.Decode();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace kiln::wasm
