#include "cli/subcommand.h"

namespace kiln::cli {

bool WantsHelp(const std::vector<std::string_view>& args) {
  for (std::string_view arg : args) {
    if (arg == "--") return false;
    if (arg == "-h" || arg == "--help") return true;
  }
  return false;
}

}  // namespace kiln::cli
