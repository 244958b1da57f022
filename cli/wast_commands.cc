#include "cli/wast_commands.h"

#include "wabt/cast.h"

namespace kiln::cli {

CommandKind ClassifyCommand(const wabt::Command& command) {
  switch (command.type) {
    case wabt::CommandType::Module:
    case wabt::CommandType::ScriptModule:
      return CommandKind::kModule;
    case wabt::CommandType::Action:
      return CommandKind::kAction;
    case wabt::CommandType::Register:
      return CommandKind::kRegister;
    case wabt::CommandType::AssertMalformed:
      return CommandKind::kAssertMalformed;
    case wabt::CommandType::AssertInvalid:
      return CommandKind::kAssertInvalid;
    case wabt::CommandType::AssertUnlinkable:
      return CommandKind::kAssertUnlinkable;
    case wabt::CommandType::AssertUninstantiable:
      return CommandKind::kAssertUninstantiable;
    case wabt::CommandType::AssertReturn:
      return CommandKind::kAssertReturn;
    case wabt::CommandType::AssertTrap:
      return CommandKind::kAssertTrap;
    case wabt::CommandType::AssertExhaustion:
      return CommandKind::kAssertExhaustion;
    case wabt::CommandType::AssertException:
      return CommandKind::kAssertException;
  }
  return CommandKind::kAssertException;  // Unreachable: the switch is total.
}

std::string_view CommandKindName(CommandKind kind) {
  switch (kind) {
    case CommandKind::kModule: return "module";
    case CommandKind::kAssertMalformed: return "assert_malformed";
    case CommandKind::kAssertInvalid: return "assert_invalid";
    case CommandKind::kAssertUnlinkable: return "assert_unlinkable";
    case CommandKind::kAssertUninstantiable: return "assert_uninstantiable";
    case CommandKind::kAction: return "action";
    case CommandKind::kRegister: return "register";
    case CommandKind::kAssertReturn: return "assert_return";
    case CommandKind::kAssertTrap: return "assert_trap";
    case CommandKind::kAssertExhaustion: return "assert_exhaustion";
    case CommandKind::kAssertException: return "assert_exception";
  }
  return "?";
}

bool NeedsEngine(CommandKind kind) {
  switch (kind) {
    case CommandKind::kModule:
    case CommandKind::kAssertMalformed:
    case CommandKind::kAssertInvalid:
      return false;
    case CommandKind::kAssertUnlinkable:
    case CommandKind::kAssertUninstantiable:
    case CommandKind::kAction:
    case CommandKind::kRegister:
    case CommandKind::kAssertReturn:
    case CommandKind::kAssertTrap:
    case CommandKind::kAssertExhaustion:
    case CommandKind::kAssertException:
      return true;
  }
  return true;
}

const wabt::ScriptModule* CommandScriptModule(const wabt::Command& command) {
  using wabt::cast;
  switch (command.type) {
    case wabt::CommandType::ScriptModule:
      return cast<wabt::ScriptModuleCommand>(&command)->script_module.get();
    case wabt::CommandType::AssertMalformed:
      return cast<wabt::AssertMalformedCommand>(&command)->module.get();
    case wabt::CommandType::AssertInvalid:
      return cast<wabt::AssertInvalidCommand>(&command)->module.get();
    case wabt::CommandType::AssertUnlinkable:
      return cast<wabt::AssertUnlinkableCommand>(&command)->module.get();
    case wabt::CommandType::AssertUninstantiable:
      return cast<wabt::AssertUninstantiableCommand>(&command)->module.get();
    default:
      return nullptr;
  }
}

namespace {

int ActionLine(const wabt::ActionPtr& action) {
  return action == nullptr ? 0 : action->loc.line;
}

}  // namespace

int CommandLine(const wabt::Command& command) {
  using wabt::cast;
  if (const wabt::ScriptModule* module = CommandScriptModule(command)) {
    return module->location().line;
  }
  switch (command.type) {
    case wabt::CommandType::Module:
      return cast<wabt::ModuleCommand>(&command)->module.loc.line;
    case wabt::CommandType::Action:
      return ActionLine(cast<wabt::ActionCommand>(&command)->action);
    case wabt::CommandType::Register:
      return cast<wabt::RegisterCommand>(&command)->var.loc.line;
    case wabt::CommandType::AssertReturn:
      return ActionLine(cast<wabt::AssertReturnCommand>(&command)->action);
    case wabt::CommandType::AssertTrap:
      return ActionLine(cast<wabt::AssertTrapCommand>(&command)->action);
    case wabt::CommandType::AssertExhaustion:
      return ActionLine(cast<wabt::AssertExhaustionCommand>(&command)->action);
    case wabt::CommandType::AssertException:
      return ActionLine(cast<wabt::AssertExceptionCommand>(&command)->action);
    default:
      return 0;
  }
}

}  // namespace kiln::cli
