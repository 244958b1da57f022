#include "wasm/wat.h"

#include "wasm/wat_wabt.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "wabt/binary-writer.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/resolve-names.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"
#include "wasm/wabt_features.h"

namespace kiln::wasm {


absl::StatusOr<std::vector<uint8_t>> WriteWabtModule(const wabt::Module& module,
                                                     bool write_debug_names,
                                                     const Features& features) {
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write;
  write.features = ToWabtFeatures(features);
  write.canonicalize_lebs = true;
  write.relocatable = false;
  write.write_debug_names = write_debug_names;
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, write))) {
    return absl::InternalError("wabt could not write the module's binary");
  }
  return std::move(stream.output_buffer().data);
}

namespace {

std::string FormatErrors(const wabt::Errors& errors) {
  std::string out;
  for (const wabt::Error& e : errors) {
    if (!out.empty()) out += "; ";
    absl::StrAppend(&out, std::string(e.loc.filename), ":", e.loc.line, ":",
                    e.loc.first_column, ": ", e.message);
  }
  return out.empty() ? "(no message)" : out;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> WatToBinary(std::string_view text,
                                                 const WatOptions& options) {
  const wabt::Features features = ToWabtFeatures(options.features);
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer = wabt::WastLexer::CreateBufferLexer(
      options.filename, text.data(), text.size(), &errors);
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  wabt::Result result =
      wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options);
  if (wabt::Succeeded(result) && module != nullptr) {
    result = wabt::ResolveNamesModule(module.get(), &errors);
  }
  if (wabt::Failed(result) || module == nullptr || !errors.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed text: ", FormatErrors(errors)));
  }
  return WriteWabtModule(*module, options.write_debug_names, options.features);
}

}  // namespace kiln::wasm
