#include "cli/wast_runner.h"

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cli/wabt_bridge.h"
#include "cli/wast_commands.h"
#include "cli/wast_values.h"
#include "wabt/cast.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"
#include "wasm/wabt_features.h"

namespace kiln::cli {
namespace {

enum class Verdict { kPass, kFail, kSkip };

struct Outcome {
  Verdict verdict;
  std::string message;  // why it failed, or a note for --verbose
  // A rejection whose message lacks the expected text: "expected ..., got".
  std::string message_mismatch;
};

Outcome Pass(std::string note = "") { return {Verdict::kPass, std::move(note)}; }
Outcome Fail(std::string why) { return {Verdict::kFail, std::move(why)}; }
Outcome Skip(std::string why) { return {Verdict::kSkip, std::move(why)}; }

constexpr char kNotImplemented[] = "not implemented: ";

// An engine error: kUnimplemented (a feature Kiln's engine lacks, e.g.
// SIMD) skips the command, anything else fails it.
Outcome EngineError(const absl::Status& status, const std::string& context) {
  if (absl::IsUnimplemented(status)) {
    return Skip(absl::StrCat(kNotImplemented, status.message()));
  }
  return Fail(absl::StrCat(context, status.ToString()));
}

std::string Quote(const std::string& text) { return absl::StrCat("\"", text, "\""); }

// The binary of a script module. kInvalidArgument: a quoted module's text is
// malformed; kInternal: wabt could not write a text module's binary.
absl::StatusOr<std::vector<uint8_t>> ScriptModuleBinary(
    const std::string& path, const wabt::ScriptModule& module,
    const wasm::Features& features) {
  switch (module.type()) {
    case wabt::ScriptModuleType::Text:
      return WriteWabtBinary(
          wabt::cast<wabt::TextScriptModule>(&module)->module, features);
    case wabt::ScriptModuleType::Binary:
      return wabt::cast<wabt::BinaryScriptModule>(&module)->data;
    case wabt::ScriptModuleType::Quoted: {
      const std::vector<uint8_t>& data =
          wabt::cast<wabt::QuotedScriptModule>(&module)->data;
      std::string text(data.begin(), data.end());
      std::string name =
          absl::StrCat(path, ":", module.location().line, ":quoted");
      return WatToBinary(name, text, features);
    }
  }
  return absl::InternalError("unknown script module type");
}

const char* FormName(const wabt::ScriptModule& module) {
  switch (module.type()) {
    case wabt::ScriptModuleType::Text: return "text module";
    case wabt::ScriptModuleType::Binary: return "binary module";
    case wabt::ScriptModuleType::Quoted: return "quoted text module";
  }
  return "module";
}

std::string_view ModuleName(const wabt::Command& command) {
  if (auto* c = wabt::dyn_cast<wabt::ModuleCommand>(&command)) {
    return c->module.name;
  }
  if (auto* c = wabt::dyn_cast<wabt::ScriptModuleCommand>(&command)) {
    return c->module.name;
  }
  return "";
}

// The module an action or register names: "" for the current module.
std::string VarModuleName(const wabt::Var& var) {
  return var.is_name() ? var.name() : std::string();
}

class ScriptRun {
 public:
  ScriptRun(const std::string& path, const ModuleValidator& validator,
            WastEngine* engine, const wasm::Features& features)
      : path_(path),
        validator_(validator),
        engine_(engine),
        features_(features) {}

  Outcome Run(const wabt::Command& command) {
    CommandKind kind = ClassifyCommand(command);
    if (kind == CommandKind::kModule) {
      Outcome outcome = RunModule(command);
      NoteModule(std::string(ModuleName(command)), CommandLine(command),
                 outcome.verdict == Verdict::kFail   ? ModuleState::kFailed
                 : outcome.verdict == Verdict::kSkip ? ModuleState::kSkipped
                                                     : ModuleState::kOk);
      return outcome;
    }
    if (kind == CommandKind::kAssertMalformed) {
      auto* c = wabt::cast<wabt::AssertMalformedCommand>(&command);
      return RunAssertMalformed(*c->module, c->text);
    }
    if (kind == CommandKind::kAssertInvalid) {
      auto* c = wabt::cast<wabt::AssertInvalidCommand>(&command);
      return RunAssertInvalid(*c->module, c->text);
    }
    if (kind == CommandKind::kAssertUnlinkable ||
        kind == CommandKind::kAssertUninstantiable) {
      const std::string& text =
          kind == CommandKind::kAssertUnlinkable
              ? wabt::cast<wabt::AssertUnlinkableCommand>(&command)->text
              : wabt::cast<wabt::AssertUninstantiableCommand>(&command)->text;
      return RunAssertNotInstantiable(kind, *CommandScriptModule(command),
                                      text);
    }
    if (kind == CommandKind::kAssertException) {
      return Skip("exception handling is not part of WebAssembly 2.0");
    }
    if (engine_ == nullptr) return Skip("needs an execution engine");
    switch (kind) {
      case CommandKind::kRegister: {
        auto* c = wabt::cast<wabt::RegisterCommand>(&command);
        absl::Status status = CheckModuleUsable(VarModuleName(c->var));
        if (status.ok()) {
          status = engine_->Register(c->module_name, VarModuleName(c->var));
        }
        if (!status.ok()) return EngineError(status, "register failed: ");
        return Pass();
      }
      case CommandKind::kAction: {
        auto* c = wabt::cast<wabt::ActionCommand>(&command);
        absl::StatusOr<WastInvokeOutcome> outcome = RunAction(*c->action);
        if (!outcome.ok()) return EngineError(outcome.status(), "");
        if (outcome->trap) return Fail(absl::StrCat("trapped: ", *outcome->trap));
        return Pass();
      }
      case CommandKind::kAssertReturn: {
        auto* c = wabt::cast<wabt::AssertReturnCommand>(&command);
        absl::StatusOr<WastInvokeOutcome> outcome = RunAction(*c->action);
        if (!outcome.ok()) return EngineError(outcome.status(), "");
        if (outcome->trap) {
          return Fail(absl::StrCat("expected ", FormatExpectation(*c->expected),
                                   ", trapped: ", *outcome->trap));
        }
        if (!MatchesExpectation(*c->expected, outcome->results)) {
          return Fail(absl::StrCat("expected ", FormatExpectation(*c->expected),
                                   ", got ", FormatValues(outcome->results)));
        }
        return Pass();
      }
      case CommandKind::kAssertTrap:
      case CommandKind::kAssertExhaustion: {
        const wabt::Action* action;
        const std::string* text;
        if (kind == CommandKind::kAssertTrap) {
          auto* c = wabt::cast<wabt::AssertTrapCommand>(&command);
          action = c->action.get();
          text = &c->text;
        } else {
          auto* c = wabt::cast<wabt::AssertExhaustionCommand>(&command);
          action = c->action.get();
          text = &c->text;
        }
        absl::StatusOr<WastInvokeOutcome> outcome = RunAction(*action);
        if (!outcome.ok()) return EngineError(outcome.status(), "");
        if (!outcome->trap) {
          return Fail(absl::StrCat("expected trap ", Quote(*text), ", got ",
                                   FormatValues(outcome->results)));
        }
        return WithMessageCheck(Pass(absl::StrCat("trapped: ", *outcome->trap)),
                                *text, *outcome->trap);
      }
      default:
        return Skip("unhandled command");
    }
  }

 private:
  Outcome RunModule(const wabt::Command& command) {
    absl::StatusOr<std::vector<uint8_t>> bytes =
        absl::InternalError("no module");
    if (auto* c = wabt::dyn_cast<wabt::ModuleCommand>(&command)) {
      bytes = WriteWabtBinary(c->module, features_);
    } else {
      bytes = ScriptModuleBinary(path_, *CommandScriptModule(command), features_);
    }
    if (!bytes.ok()) {
      return Fail(absl::StrCat("could not run: no binary for the module: ",
                               bytes.status().message()));
    }
    absl::Status status = validator_(*bytes);
    if (!status.ok()) {
      return Fail(absl::StrCat("Kiln rejected a valid module: ",
                               status.message()));
    }
    if (engine_ == nullptr) return Pass();
    status = engine_->Instantiate(*bytes, ModuleName(command));
    if (!status.ok()) {
      return EngineError(status, "instantiation failed: ");
    }
    return Pass();
  }

  Outcome RunAssertMalformed(const wabt::ScriptModule& module,
                             const std::string& expected) {
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ScriptModuleBinary(path_, module, features_);
    if (!bytes.ok()) {
      if (module.type() == wabt::ScriptModuleType::Quoted &&
          absl::IsInvalidArgument(bytes.status())) {
        return Pass(absl::StrCat("rejected by wabt's text parser: ",
                                 bytes.status().message()));
      }
      return Fail(absl::StrCat("could not run: no binary for the module: ",
                               bytes.status().message()));
    }
    absl::Status status = validator_(*bytes);
    if (status.ok()) {
      return Fail(absl::StrCat("expected a malformed module (", Quote(expected),
                               "), Kiln's decoder accepted the ",
                               FormName(module)));
    }
    return Rejected(expected, status);
  }

  Outcome RunAssertInvalid(const wabt::ScriptModule& module,
                           const std::string& expected) {
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ScriptModuleBinary(path_, module, features_);
    if (!bytes.ok()) {
      return Fail(absl::StrCat("could not run: no binary for the module: ",
                               bytes.status().message()));
    }
    absl::Status status = validator_(*bytes);
    if (status.ok()) {
      return Fail(absl::StrCat("expected an invalid module (", Quote(expected),
                               "), Kiln's validator accepted the ",
                               FormName(module)));
    }
    return Rejected(expected, status);
  }

  Outcome RunAssertNotInstantiable(CommandKind kind,
                                   const wabt::ScriptModule& module,
                                   const std::string& expected) {
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ScriptModuleBinary(path_, module, features_);
    if (!bytes.ok()) {
      return Fail(absl::StrCat("could not run: no binary for the module: ",
                               bytes.status().message()));
    }
    absl::Status status = validator_(*bytes);
    if (!status.ok()) {
      return Fail(absl::StrCat("Kiln rejected a valid module: ",
                               status.message()));
    }
    if (engine_ == nullptr) {
      return Skip("module validated; linking needs an execution engine");
    }
    status = engine_->Instantiate(*bytes, "");
    if (absl::IsUnimplemented(status)) return EngineError(status, "");
    if (status.ok()) {
      return Fail(kind == CommandKind::kAssertUnlinkable
                      ? "expected a link error, the module instantiated"
                      : "expected a trap while instantiating, the module "
                        "instantiated");
    }
    return WithMessageCheck(
        Pass(absl::StrCat("instantiation failed: ", status.message())),
        expected, std::string(status.message()));
  }

  static Outcome Rejected(const std::string& expected,
                          const absl::Status& status) {
    std::string message(status.message());
    return WithMessageCheck(Pass(absl::StrCat("rejected by Kiln: ", message)),
                            expected, message);
  }

  // Notes (for --check-messages) when Kiln's message lacks the text the
  // script expects.
  static Outcome WithMessageCheck(Outcome outcome, const std::string& expected,
                                  const std::string& message) {
    if (!ErrorMatchesExpected(expected, message)) {
      outcome.message_mismatch =
          absl::StrCat("expected ", Quote(expected), ", Kiln said ",
                       Quote(message));
    }
    return outcome;
  }

  // Remembers whether the module defined at `line` is usable, so commands
  // on a module that failed report that instead of running against an
  // older module.
  enum class ModuleState { kOk, kFailed, kSkipped };
  struct ModuleRecord {
    ModuleState state = ModuleState::kOk;
    int line = 0;
  };

  void NoteModule(const std::string& name, int line, ModuleState state) {
    current_ = {state, line};
    if (name.empty()) return;
    if (state == ModuleState::kOk) {
      unusable_named_.erase(name);
    } else {
      unusable_named_[name] = {state, line};
    }
  }

  // OK, or why the module cannot be used: FailedPrecondition when it
  // failed, Unimplemented when it was skipped (so the command is skipped).
  absl::Status CheckModuleUsable(const std::string& module) const {
    ModuleRecord record = current_;
    std::string what = "the module defined at line ";
    if (!module.empty()) {
      auto it = unusable_named_.find(module);
      record = it == unusable_named_.end() ? ModuleRecord{} : it->second;
      what = absl::StrCat("module ", module, " defined at line ");
    }
    switch (record.state) {
      case ModuleState::kOk:
        return absl::OkStatus();
      case ModuleState::kFailed:
        return absl::FailedPreconditionError(
            absl::StrCat(what, record.line, " failed"));
      case ModuleState::kSkipped:
        return absl::UnimplementedError(
            absl::StrCat(what, record.line, " was skipped"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<WastInvokeOutcome> RunAction(const wabt::Action& action) {
    std::string module = VarModuleName(action.module_var);
    if (absl::Status usable = CheckModuleUsable(module); !usable.ok()) {
      return usable;
    }
    if (auto* get = wabt::dyn_cast<wabt::GetAction>(&action)) {
      absl::StatusOr<WastValue> value = engine_->Get(module, get->name);
      if (!value.ok()) return value.status();
      WastInvokeOutcome outcome;
      outcome.results.push_back(*value);
      return outcome;
    }
    auto* invoke = wabt::cast<wabt::InvokeAction>(&action);
    std::vector<WastValue> args;
    for (const wabt::Const& c : invoke->args) {
      absl::StatusOr<WastValue> value = ValueFromConst(c);
      if (!value.ok()) return value.status();
      args.push_back(*value);
    }
    return engine_->Invoke(module, invoke->name, args);
  }

  const std::string& path_;
  const ModuleValidator& validator_;
  WastEngine* engine_;
  const wasm::Features& features_;
  ModuleRecord current_;  // the module an action without a name refers to
  std::map<std::string, ModuleRecord> unusable_named_;
};

}  // namespace

bool ErrorMatchesExpected(const std::string& expected,
                          const std::string& message) {
  absl::string_view text = message;
  if (absl::ConsumePrefix(&text, "at byte ")) {
    size_t colon = text.find(": ");
    if (colon != absl::string_view::npos) text.remove_prefix(colon + 2);
  }
  return absl::StrContains(text, expected);
}

WastRunner::WastRunner(ModuleValidator validator, WastEngine* engine,
                       WastOptions options)
    : validator_(std::move(validator)), engine_(engine), options_(options) {}

WastFileReport WastRunner::RunFile(const std::string& path) const {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    WastFileReport report;
    report.path = path;
    report.failed = 1;
    report.failures.push_back({0, "file", "cannot read the file"});
    return report;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return RunScript(path, buffer.str());
}

WastFileReport WastRunner::RunScript(const std::string& path,
                                     std::string_view text) const {
  WastFileReport report;
  report.path = path;

  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer = wabt::WastLexer::CreateBufferLexer(
      path, text.data(), text.size(), &errors);
  wabt::WastParseOptions parse_options(wasm::ToWabtFeatures(options_.features));
  std::unique_ptr<wabt::Script> script;
  wabt::Result result =
      wabt::ParseWastScript(lexer.get(), &script, &errors, &parse_options);
  if (wabt::Failed(result) || script == nullptr) {
    report.failed = 1;
    report.failures.push_back(
        {0, "script", absl::StrCat("wabt could not parse the script: ",
                                   FormatWabtErrors(errors))});
    return report;
  }

  if (engine_ != nullptr) engine_->Reset();
  ScriptRun run(path, validator_, engine_, options_.features);
  for (const std::unique_ptr<wabt::Command>& command : script->commands) {
    Outcome outcome = run.Run(*command);
    int line = CommandLine(*command);
    std::string name(CommandKindName(ClassifyCommand(*command)));
    switch (outcome.verdict) {
      case Verdict::kPass: ++report.passed; break;
      case Verdict::kFail: ++report.failed; break;
      case Verdict::kSkip:
        ++report.skipped;
        if (absl::StartsWith(outcome.message, kNotImplemented)) {
          ++report.skipped_not_implemented;
        }
        break;
    }
    if (outcome.verdict == Verdict::kFail) {
      report.failures.push_back({line, name, outcome.message});
    }
    if (options_.check_messages && !outcome.message_mismatch.empty()) {
      report.message_mismatches.push_back(
          {line, name, outcome.message_mismatch});
    }
    if (options_.verbose) {
      const char* verdict = outcome.verdict == Verdict::kPass   ? "pass"
                                 : outcome.verdict == Verdict::kFail ? "FAIL"
                                                                     : "skip";
      std::string entry = absl::StrCat(path, ":", line, ": ", name, ": ", verdict);
      if (!outcome.message.empty()) absl::StrAppend(&entry, ": ", outcome.message);
      report.log.push_back(std::move(entry));
    }
  }
  return report;
}

}  // namespace kiln::cli
