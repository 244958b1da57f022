#include "wasm/validator.h"

namespace kiln::wasm {

absl::Status ValidateFunction(const ModuleInfo& module, uint32_t func_index) {
  (void)module;
  (void)func_index;
  return absl::OkStatus();  // TODO: FunctionBodyDecoder.
}

}  // namespace kiln::wasm
