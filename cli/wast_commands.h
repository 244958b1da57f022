// Classification of wast script commands: what the runner does with each.
#ifndef KILN_CLI_WAST_COMMANDS_H_
#define KILN_CLI_WAST_COMMANDS_H_

#include <string_view>

#include "wabt/ir.h"

namespace kiln::cli {

enum class CommandKind {
  kModule,                // (module ...): must decode and validate
  kAssertMalformed,       // must be rejected by the text parser or decoder
  kAssertInvalid,         // must be rejected by Kiln's validator
  kAssertUnlinkable,      // must validate, then fail to link
  kAssertUninstantiable,  // must validate, then trap while instantiating
  kAction,                // (invoke ...) / (get ...)
  kRegister,              // (register "name" $module)
  kAssertReturn,
  kAssertTrap,
  kAssertExhaustion,
  kAssertException,       // exception-handling proposal; not in 2.0
};

CommandKind ClassifyCommand(const wabt::Command& command);

// The wast keyword, e.g. "assert_return".
std::string_view CommandKindName(CommandKind kind);

// True when the command cannot be checked without an execution engine.
// kAssertUnlinkable and kAssertUninstantiable need one for their verdict but
// their module is still decoded and validated without one.
bool NeedsEngine(CommandKind kind);

// The script module a command carries (assert_malformed/invalid/unlinkable/
// uninstantiable, and binary or quoted top-level modules), else nullptr.
const wabt::ScriptModule* CommandScriptModule(const wabt::Command& command);

// The 1-based source line of the command, 0 when wabt recorded none.
int CommandLine(const wabt::Command& command);

}  // namespace kiln::cli

#endif  // KILN_CLI_WAST_COMMANDS_H_
