#include "wasm/validator.h"

#include "wasm/function_body_decoder.h"

namespace kiln::wasm {

absl::Status ValidateFunction(const ModuleInfo& module, uint32_t func_index) {
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
