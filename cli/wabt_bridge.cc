#include "cli/wabt_bridge.h"

#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wabt/resolve-names.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"
#include "wasm/wabt_features.h"
#include "wasm/wat.h"
#include "wasm/wat_wabt.h"

namespace kiln::cli {

wabt::Features Wasm2Features() {
  return wasm::ToWabtFeatures(wasm::Features::None());
}

absl::StatusOr<std::vector<uint8_t>> WriteWabtBinary(
    const wabt::Module& module, const wasm::Features& features) {
  return wasm::WriteWabtModule(module, /*write_debug_names=*/false, features);
}

absl::StatusOr<std::unique_ptr<wabt::Module>> ParseWat(
    std::string_view filename, std::string_view text,
    const wasm::Features& features) {
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer = wabt::WastLexer::CreateBufferLexer(
      filename, text.data(), text.size(), &errors);
  wabt::WastParseOptions parse_options(wasm::ToWabtFeatures(features));
  std::unique_ptr<wabt::Module> module;
  wabt::Result result =
      wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options);
  if (wabt::Succeeded(result) && module != nullptr) {
    result = wabt::ResolveNamesModule(module.get(), &errors);
  }
  if (wabt::Failed(result) || module == nullptr || !errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed text: ", FormatWabtErrors(errors)));
  }
  return module;
}

absl::StatusOr<std::vector<uint8_t>> WatToBinary(
    std::string_view filename, std::string_view text,
    const wasm::Features& features) {
  wasm::WatOptions options;
  options.filename = filename;
  options.write_debug_names = false;
  options.features = features;
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
