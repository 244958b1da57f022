// `kiln`: dispatches to one subcommand per file (see subcommand.h).
#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "cli/subcommand.h"
#include "engine/serialize.h"

namespace kiln::cli {
namespace {

using SubcommandFn = const Subcommand& (*)();

constexpr std::array<SubcommandFn, 5> kSubcommands = {
    &RunSubcommand,
    &CompileSubcommand,
    &ObjdumpSubcommand,
    &ValidateSubcommand,
    &WastSubcommand,
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: kiln COMMAND [ARGS...]\n"
               "       kiln help [COMMAND]\n"
               "       kiln --version\n"
               "\n"
               "Kiln, a WebAssembly engine. Modules are binary .wasm, text\n"
               ".wat, or precompiled .cwasm (from `kiln compile -o`).\n"
               "\n"
               "Commands:\n");
  for (SubcommandFn fn : kSubcommands) {
    const Subcommand& sub = fn();
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(sub.name.size()),
                 sub.name.data(), static_cast<int>(sub.summary.size()),
                 sub.summary.data());
  }
  std::fprintf(out,
               "\n"
               "Run `kiln COMMAND --help` (or `kiln help COMMAND`) for the\n"
               "options of a command.\n");
}

int Main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintUsage(stderr);
    return 2;
  }
  std::string_view name = args.front();
  if (name == "--version" || name == "-V") {
    std::printf("%s\n", serialize::kKilnVersion);
    return 0;
  }
  if (name == "-h" || name == "--help" || name == "help") {
    if (name == "help" && args.size() > 1) {
      for (SubcommandFn fn : kSubcommands) {
        if (fn().name == args[1]) {
          std::fwrite(fn().help.data(), 1, fn().help.size(), stdout);
          return 0;
        }
      }
      std::fprintf(stderr, "kiln help: unknown command '%.*s'\n\n",
                   static_cast<int>(args[1].size()), args[1].data());
      PrintUsage(stderr);
      return 2;
    }
    PrintUsage(stdout);
    return 0;
  }
  for (SubcommandFn fn : kSubcommands) {
    const Subcommand& sub = fn();
    if (sub.name != name) continue;
    std::vector<std::string_view> rest(args.begin() + 1, args.end());
    if (!sub.handles_help && WantsHelp(rest)) {
      std::fwrite(sub.help.data(), 1, sub.help.size(), stdout);
      return 0;
    }
    return sub.run(rest);
  }
  std::fprintf(stderr, "kiln: unknown command '%.*s'\n\n",
               static_cast<int>(name.size()), name.data());
  PrintUsage(stderr);
  return 2;
}

}  // namespace
}  // namespace kiln::cli

int main(int argc, char** argv) { return kiln::cli::Main(argc, argv); }
