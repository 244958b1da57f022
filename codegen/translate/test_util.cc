#include "codegen/translate/test_util.h"

#include <utility>

#include "absl/status/status.h"
#include "wasm/decoder.h"
#include "wasm/wat.h"

namespace kiln::translate::testing {

absl::StatusOr<std::vector<uint8_t>> WatToWasm(std::string_view wat) {
  wasm::WatOptions options;
  options.filename = "test.wat";
  return wasm::WatToBinary(wat, options);
}

absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> WatToModule(
    std::string_view wat) {
  absl::StatusOr<std::vector<uint8_t>> bytes = WatToWasm(wat);
  if (!bytes.ok()) return bytes.status();
  return wasm::DecodeModule(*bytes);
}

}  // namespace kiln::translate::testing
