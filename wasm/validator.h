// Function-body validation: FunctionBodyDecoder instantiated with an empty
// interface.
#ifndef KILN_WASM_VALIDATOR_H_
#define KILN_WASM_VALIDATOR_H_

#include <cstdint>

#include "absl/status/status.h"
#include "wasm/module_info.h"

namespace kiln::wasm {

// Validates the body of defined function `func_index` of `module`.
absl::Status ValidateFunction(const ModuleInfo& module, uint32_t func_index);

// Validates the bodies of all defined functions, reusing one decoder.
absl::Status ValidateAllFunctions(const ModuleInfo& module);

}  // namespace kiln::wasm

#endif  // KILN_WASM_VALIDATOR_H_
