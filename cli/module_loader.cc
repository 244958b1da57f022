#include "cli/module_loader.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "cli/wabt_bridge.h"
#include "engine/serialize.h"

namespace kiln::cli {

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot open file");
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError("read error");
  return buffer.str();
}

absl::StatusOr<std::vector<uint8_t>> LoadModuleBinary(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFileToString(path);
  if (!contents.ok()) return contents.status();
  if (absl::StartsWith(*contents,
                       absl::string_view(serialize::kArtifactMagic,
                                         sizeof(serialize::kArtifactMagic)))) {
    return absl::InvalidArgumentError(
        "a precompiled module (.cwasm), not WebAssembly binary or text: run "
        "it with `kiln run`, inspect it with `kiln objdump`");
  }
  bool is_text = absl::EndsWith(path, ".wat") || absl::EndsWith(path, ".wast") ||
                 !absl::StartsWith(*contents, absl::string_view("\0asm", 4));
  if (!is_text) return std::vector<uint8_t>(contents->begin(), contents->end());
  return WatToBinary(path, *contents);
}

bool IsPrecompiledFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[sizeof(serialize::kArtifactMagic)] = {};
  if (!in.read(magic, sizeof(magic))) return false;
  return std::memcmp(magic, serialize::kArtifactMagic, sizeof(magic)) == 0;
}

absl::StatusOr<Module> LoadModule(const Engine& engine,
                                  const std::string& path) {
  if (IsPrecompiledFile(path) || absl::EndsWith(path, ".cwasm")) {
    absl::StatusOr<Module> module = Module::DeserializeFile(engine, path);
    if (module.ok()) return module;
    // DeserializeFile names the path; callers add it themselves.
    absl::string_view message = module.status().message();
    const std::string prefix = path + ": ";
    if (absl::StartsWith(message, prefix)) message.remove_prefix(prefix.size());
    return absl::Status(module.status().code(), message);
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = LoadModuleBinary(path);
  if (!bytes.ok()) return bytes.status();
  return Module::FromBinary(engine, *bytes);
}

}  // namespace kiln::cli
