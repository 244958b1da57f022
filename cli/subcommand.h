// The `kiln` command is a small dispatcher over subcommands. Each subcommand
// lives in its own file (wast_command.cc, validate_command.cc, ...) and
// exposes one Subcommand; main.cc lists them. To add one (run, compile,
// objdump): write foo_command.cc defining `const Subcommand& FooSubcommand()`,
// declare it below, and add it to the table in main.cc and to BUILD.bazel.
#ifndef KILN_CLI_SUBCOMMAND_H_
#define KILN_CLI_SUBCOMMAND_H_

#include <string_view>
#include <vector>

namespace kiln::cli {

struct Subcommand {
  std::string_view name;     // e.g. "wast"
  std::string_view summary;  // one line, shown by `kiln --help`
  std::string_view help;     // full usage text, shown by `kiln NAME --help`
  // Runs with the arguments after the subcommand name; returns the exit code.
  int (*run)(const std::vector<std::string_view>& args);
  // True if `run` handles -h/--help itself (e.g. `kiln run`, whose
  // arguments after FILE belong to the guest).
  bool handles_help = false;
};

const Subcommand& WastSubcommand();
const Subcommand& ValidateSubcommand();
const Subcommand& CompileSubcommand();  // compile_command.cc
const Subcommand& RunSubcommand();      // run_command.cc
const Subcommand& ObjdumpSubcommand();  // objdump_command.cc

// True if `args` asks for help (-h or --help anywhere).
bool WantsHelp(const std::vector<std::string_view>& args);

}  // namespace kiln::cli

#endif  // KILN_CLI_SUBCOMMAND_H_
