#include "cli/wabt_bridge.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wasm/wat.h"
#include "wasm/wat_wabt.h"

namespace kiln::cli {

wabt::Features Wasm2Features() { return wasm::WabtFeatures(); }

absl::StatusOr<std::vector<uint8_t>> WriteWabtBinary(
    const wabt::Module& module) {
  return wasm::WriteWabtModule(module, /*write_debug_names=*/false);
}

absl::StatusOr<std::vector<uint8_t>> WatToBinary(std::string_view filename,
                                                 std::string_view text) {
  wasm::WatOptions options;
  options.filename = filename;
  options.write_debug_names = false;
  return wasm::WatToBinary(text, options);
}

std::string FormatWabtErrors(const wabt::Errors& errors) {
  std::string out;
  for (const wabt::Error& error : errors) {
    if (!out.empty()) out += "; ";
    if (error.loc.filename.empty()) {
      absl::StrAppend(&out, error.message);
      continue;
    }
    absl::StrAppendFormat(&out, "%s:%d:%d: %s", error.loc.filename,
                          error.loc.line, error.loc.first_column,
                          error.message);
  }
  if (out.empty()) out = "(no message)";
  return out;
}

}  // namespace kiln::cli
