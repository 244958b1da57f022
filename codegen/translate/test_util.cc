#include "codegen/translate/test_util.h"

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
#include "wasm/decoder.h"

namespace kiln::translate::testing {

absl::StatusOr<std::vector<uint8_t>> WatToWasm(std::string_view wat) {
  wabt::Features features;
  features.enable_mutable_globals();
  features.enable_sat_float_to_int();
  features.enable_sign_extension();
  features.enable_multi_value();
  features.enable_bulk_memory();
  features.enable_reference_types();
  features.enable_simd();
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer = wabt::WastLexer::CreateBufferLexer(
      "test.wat", wat.data(), wat.size(), &errors);
  wabt::WastParseOptions parse_options(features);
  std::unique_ptr<wabt::Module> module;
  wabt::Result r =
      wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options);
  if (wabt::Succeeded(r) && module) {
    r = wabt::ResolveNamesModule(module.get(), &errors);
  }
  if (wabt::Failed(r) || !module) {
    std::string msg;
    for (const wabt::Error& e : errors) {
      absl::StrAppend(&msg, e.loc.line, ":", e.loc.first_column, ": ",
                      e.message, "; ");
    }
    return absl::InvalidArgumentError(absl::StrCat("bad wat: ", msg));
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions options;
  options.features = features;
  options.canonicalize_lebs = true;
  options.write_debug_names = true;
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), options))) {
    return absl::InternalError("wabt could not write the binary");
  }
  return std::move(stream.output_buffer().data);
}

absl::StatusOr<std::unique_ptr<wasm::ModuleInfo>> WatToModule(
    std::string_view wat) {
  absl::StatusOr<std::vector<uint8_t>> bytes = WatToWasm(wat);
  if (!bytes.ok()) return bytes.status();
  return wasm::DecodeModule(*bytes);
}

}  // namespace kiln::translate::testing
