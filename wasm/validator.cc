#include "wasm/validator.h"

#include "wasm/function_body_decoder.h"

namespace kiln::wasm {

absl::Status ValidateFunction(const ModuleInfo& module, uint32_t func_index) {
  NullInterface iface;
  FunctionBodyDecoder<NullInterface> decoder(module, func_index, &iface);
  return decoder.Decode();
}

}  // namespace kiln::wasm
