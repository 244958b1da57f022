// `kiln validate FILE...`: decodes and validates modules.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "cli/module_loader.h"
#include "cli/subcommand.h"
#include "wasm/decoder.h"

namespace kiln::cli {
namespace {

constexpr std::string_view kHelp =
    R"(Usage: kiln validate FILE...

Decodes and validates each WebAssembly module (binary .wasm, or text
.wat converted to binary with wabt) and prints "FILE: valid" or
"FILE: <error>", the error naming the byte offset in the binary (for
text input: in the binary wabt produced from it).
Exits 0 if every module is valid, 1 otherwise.

Options:
  -h, --help      this text
)";

int Run(const std::vector<std::string_view>& args) {
  std::vector<std::string> files;
  bool options_done = false;
  for (std::string_view arg : args) {
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "kiln validate: unknown option '%.*s'\n%.*s",
                   static_cast<int>(arg.size()), arg.data(),
                   static_cast<int>(kHelp.size()), kHelp.data());
      return 2;
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "kiln validate: no module given\n%.*s",
                 static_cast<int>(kHelp.size()), kHelp.data());
    return 2;
  }
  int exit_code = 0;
  for (const std::string& file : files) {
    absl::StatusOr<std::vector<uint8_t>> bytes = LoadModuleBinary(file);
    if (!bytes.ok()) {
      std::printf("%s: %s\n", file.c_str(),
                  std::string(bytes.status().message()).c_str());
      exit_code = 1;
      continue;
    }
    absl::Status status = kiln::wasm::DecodeModule(*bytes).status();
    if (status.ok()) {
      std::printf("%s: valid\n", file.c_str());
    } else {
      std::printf("%s: %s\n", file.c_str(),
                  std::string(status.message()).c_str());
      exit_code = 1;
    }
  }
  return exit_code;
}

}  // namespace

const Subcommand& ValidateSubcommand() {
  static const Subcommand kSubcommand = {
      .name = "validate",
      .summary = "decode and validate WebAssembly modules (.wasm or .wat)",
      .help = kHelp,
      .run = &Run,
  };
  return kSubcommand;
}

}  // namespace kiln::cli
