// Runs .wast spec scripts against Kiln: wabt parses the script, Kiln's decoder
// and validator judge every module, and an optional WastEngine runs the
// execution commands (skipped without one).
#ifndef KILN_CLI_WAST_RUNNER_H_
#define KILN_CLI_WAST_RUNNER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "cli/wast_engine.h"
#include "wasm/features.h"

namespace kiln::cli {

struct WastFailure {
  int line = 0;         // 1-based line in the script, 0 if unknown
  std::string command;  // e.g. "assert_invalid"
  std::string message;
};

struct WastFileReport {
  std::string path;
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  // Of `skipped`: commands the engine reported as kUnimplemented (a feature
  // Kiln does not have yet), and the commands on such a module.
  int skipped_not_implemented = 0;
  std::vector<WastFailure> failures;
  // One line per command when WastOptions::verbose is set.
  std::vector<std::string> log;
  // With WastOptions::check_messages: passing assertions (malformed,
  // invalid, unlinkable, uninstantiable, trap, exhaustion) whose error or
  // trap text does not contain the script's expected text. Not failures.
  std::vector<WastFailure> message_mismatches;
};

struct WastOptions {
  bool verbose = false;
  // Compare Kiln's error and trap messages with the text the assertions
  // expect (WastFileReport::message_mismatches).
  bool check_messages = false;
  // Proposals beyond 2.0 the script's parser accepts (wabt's features); the
  // ModuleValidator should use the same set. 2.0 only by default.
  wasm::Features features = wasm::Features::None();
};

// True if Kiln's error `message`, without its leading "at byte 0x..: ",
// contains the `expected` text of an assertion.
bool ErrorMatchesExpected(const std::string& expected,
                          const std::string& message);

// Decodes and validates a binary module; OK means Kiln accepts it.
using ModuleValidator =
    std::function<absl::Status(absl::Span<const uint8_t> bytes)>;

class WastRunner {
 public:
  // `engine` may be null: then every command that needs execution is
  // counted as skipped. The runner does not own the engine.
  WastRunner(ModuleValidator validator, WastEngine* engine = nullptr,
             WastOptions options = {});

  // Reads and runs one script file.
  WastFileReport RunFile(const std::string& path) const;

  // Runs script text; `path` names it in reports and wabt's errors.
  WastFileReport RunScript(const std::string& path,
                           std::string_view text) const;

 private:
  ModuleValidator validator_;
  WastEngine* engine_;
  WastOptions options_;
};

}  // namespace kiln::cli

#endif  // KILN_CLI_WAST_RUNNER_H_
