#include "cli/module_loader.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "cli/wabt_bridge.h"

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
  bool is_text = absl::EndsWith(path, ".wat") || absl::EndsWith(path, ".wast") ||
                 !absl::StartsWith(*contents, absl::string_view("\0asm", 4));
  if (!is_text) return std::vector<uint8_t>(contents->begin(), contents->end());
  return WatToBinary(path, *contents);
}

}  // namespace kiln::cli
