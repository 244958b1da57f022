// Test helpers: WebAssembly text -> decoded ModuleInfo (through wabt).
#ifndef KILN_CODEGEN_TRANSLATE_TEST_UTIL_H_
#define KILN_CODEGEN_TRANSLATE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "wasm/module_info.h"

namespace kiln::translate::testing {

absl::StatusOr<std::vector<uint8_t>> WatToWasm(std::string_view wat);
absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> WatToModule(
    std::string_view wat);

}  // namespace kiln::translate::testing

#endif  // KILN_CODEGEN_TRANSLATE_TEST_UTIL_H_
