#include "cli/wast_runner.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/wabt_bridge.h"
#include "cli/wast_commands.h"
#include "cli/wast_values.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace kiln::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<wabt::Script> ParseScript(const std::string& text) {
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("test.wast", text.data(),
                                                  text.size(), &errors);
  wabt::WastParseOptions options(Wasm2Features());
  std::unique_ptr<wabt::Script> script;
  EXPECT_TRUE(wabt::Succeeded(
      wabt::ParseWastScript(lexer.get(), &script, &errors, &options)))
      << FormatWabtErrors(errors);
  return script;
}

// Test validators: the runner's verdicts depend only on accept/reject.
absl::Status AcceptAll(absl::Span<const uint8_t>) { return absl::OkStatus(); }
absl::Status RejectAll(absl::Span<const uint8_t>) {
  return absl::InvalidArgumentError("at byte 0x8: rejected");
}

constexpr char kScript[] = R"wast((module $m (func (export "f") (result i32) i32.const 1))
(assert_return (invoke "f") (i32.const 1))
(assert_trap (invoke "f") "unreachable")
(assert_exhaustion (invoke "f") "call stack exhausted")
(invoke "f")
(get $m "g")
(register "m" $m)
(assert_malformed (module quote "(func i32.const)") "unexpected token")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(module binary "\00asm\01\00\00\00")
)wast";

TEST(WastCommandsTest, ClassifiesEveryCommand) {
  std::unique_ptr<wabt::Script> script = ParseScript(kScript);
  ASSERT_NE(script, nullptr);
  std::vector<CommandKind> kinds;
  std::vector<int> lines;
  for (const auto& command : script->commands) {
    kinds.push_back(ClassifyCommand(*command));
    lines.push_back(CommandLine(*command));
  }
  EXPECT_THAT(kinds,
              ElementsAre(CommandKind::kModule, CommandKind::kAssertReturn,
                          CommandKind::kAssertTrap,
                          CommandKind::kAssertExhaustion, CommandKind::kAction,
                          CommandKind::kAction, CommandKind::kRegister,
                          CommandKind::kAssertMalformed,
                          CommandKind::kAssertMalformed,
                          CommandKind::kAssertInvalid,
                          CommandKind::kAssertUnlinkable,
                          CommandKind::kAssertUninstantiable,
                          CommandKind::kModule));
  EXPECT_THAT(lines, ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13));
}

TEST(WastCommandsTest, NeedsEngine) {
  EXPECT_FALSE(NeedsEngine(CommandKind::kModule));
  EXPECT_FALSE(NeedsEngine(CommandKind::kAssertMalformed));
  EXPECT_FALSE(NeedsEngine(CommandKind::kAssertInvalid));
  EXPECT_TRUE(NeedsEngine(CommandKind::kAssertReturn));
  EXPECT_TRUE(NeedsEngine(CommandKind::kAssertUnlinkable));
  EXPECT_EQ(CommandKindName(CommandKind::kAssertUninstantiable),
            "assert_uninstantiable");
}

TEST(WastRunnerTest, AcceptingValidatorWithoutEngine) {
  WastRunner runner(&AcceptAll);
  WastFileReport report = runner.RunScript("test.wast", kScript);
  // Passed: two modules, the quoted assert_malformed (wabt rejects the text).
  // Failed: the binary assert_malformed and the assert_invalid (accepted).
  // Skipped: 6 execution commands, assert_unlinkable, assert_uninstantiable.
  EXPECT_EQ(report.passed, 3);
  EXPECT_EQ(report.failed, 2);
  EXPECT_EQ(report.skipped, 8);
  ASSERT_EQ(report.failures.size(), 2u);
  EXPECT_EQ(report.failures[0].line, 9);
  EXPECT_EQ(report.failures[0].command, "assert_malformed");
  EXPECT_EQ(report.failures[1].line, 10);
  EXPECT_THAT(report.failures[1].message, HasSubstr("type mismatch"));
}

TEST(WastRunnerTest, RejectingValidatorWithoutEngine) {
  WastRunner runner(&RejectAll);
  WastFileReport report = runner.RunScript("test.wast", kScript);
  // Failed: both modules, assert_unlinkable and assert_uninstantiable (their
  // modules must validate). Passed: both assert_malformed, assert_invalid.
  EXPECT_EQ(report.passed, 3);
  EXPECT_EQ(report.failed, 4);
  EXPECT_EQ(report.skipped, 6);
  EXPECT_THAT(report.failures[0].message, HasSubstr("at byte 0x8: rejected"));
}

TEST(WastRunnerTest, QuotedModuleThatParsesGoesToTheDecoder) {
  WastRunner runner(&AcceptAll);
  WastFileReport report = runner.RunScript(
      "q.wast", R"wast((assert_malformed (module quote "(func)") "whatever"))wast");
  EXPECT_EQ(report.failed, 1);
  WastRunner rejecting(&RejectAll);
  report = rejecting.RunScript(
      "q.wast", R"wast((assert_malformed (module quote "(func)") "whatever"))wast");
  EXPECT_EQ(report.passed, 1);
}

TEST(WastRunnerTest, UnparsableScriptIsOneFailure) {
  WastRunner runner(&AcceptAll);
  WastFileReport report = runner.RunScript("bad.wast", "(module (func $f");
  EXPECT_EQ(report.failed, 1);
  EXPECT_EQ(report.passed, 0);
  EXPECT_THAT(report.failures[0].message, HasSubstr("could not parse"));
}

TEST(WastRunnerTest, VerboseLogsEveryCommand) {
  WastRunner runner(&AcceptAll, nullptr, WastOptions{.verbose = true});
  WastFileReport report = runner.RunScript("test.wast", kScript);
  ASSERT_EQ(report.log.size(), 13u);
  EXPECT_EQ(report.log[0], "test.wast:1: module: pass");
}

// An engine double that records calls and answers from a table.
class RecordingEngine : public WastEngine {
 public:
  void Reset() override { calls.push_back("reset"); }
  absl::Status Instantiate(absl::Span<const uint8_t>,
                           std::string_view name) override {
    calls.push_back("instantiate " + std::string(name));
    if (fail_instantiate) return absl::NotFoundError("unknown import");
    return absl::OkStatus();
  }
  absl::Status Register(std::string_view as_name,
                        std::string_view module_name) override {
    calls.push_back("register " + std::string(as_name) + " " +
                    std::string(module_name));
    return absl::OkStatus();
  }
  absl::StatusOr<WastInvokeOutcome> Invoke(
      std::string_view module_name, std::string_view field,
      absl::Span<const WastValue> args) override {
    calls.push_back("invoke " + std::string(module_name) + " " +
                    std::string(field) + " " + FormatValues(args));
    auto it = outcomes.find(std::string(field));
    if (it == outcomes.end()) return absl::NotFoundError("no such export");
    return it->second;
  }
  absl::StatusOr<WastValue> Get(std::string_view, std::string_view) override {
    return WastValue{WastValueType::kI32, {7, 0}, false};
  }

  bool fail_instantiate = false;
  std::vector<std::string> calls;
  std::map<std::string, WastInvokeOutcome> outcomes;
};

TEST(WastRunnerTest, EngineRunsExecutionCommands) {
  RecordingEngine engine;
  WastInvokeOutcome one;
  one.results.push_back({WastValueType::kI32, {1, 0}, false});
  engine.outcomes["one"] = one;
  WastInvokeOutcome trap;
  trap.trap = "unreachable executed";
  engine.outcomes["trap"] = trap;
  WastInvokeOutcome nan;
  nan.results.push_back({WastValueType::kF32, {0x7fc00000, 0}, false});
  engine.outcomes["nan"] = nan;

  WastRunner runner(&AcceptAll, &engine);
  WastFileReport report = runner.RunScript("e.wast", R"wast((module $m)
(assert_return (invoke "one" (i32.const 5) (f64.const 1)) (i32.const 1))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "trap") "unreachable")
(assert_trap (invoke "one") "unreachable")
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
(assert_return (get "g") (i32.const 7))
(register "M" $m)
(invoke $m "missing")
)wast");
  EXPECT_EQ(report.passed, 7);
  EXPECT_EQ(report.failed, 3);
  EXPECT_EQ(report.skipped, 0);
  ASSERT_EQ(report.failures.size(), 3u);
  EXPECT_EQ(report.failures[0].line, 3);
  EXPECT_THAT(report.failures[0].message, HasSubstr("expected (i32:0x00000002)"));
  EXPECT_EQ(report.failures[1].line, 5);
  EXPECT_EQ(report.failures[2].line, 10);
  EXPECT_EQ(engine.calls[0], "reset");
  EXPECT_EQ(engine.calls[1], "instantiate $m");
  EXPECT_EQ(engine.calls[2],
            "invoke  one (i32:0x00000005, f64:0x3ff0000000000000 (1))");
  EXPECT_THAT(engine.calls, ::testing::Contains("register M $m"));
  EXPECT_THAT(engine.calls, ::testing::Contains("invoke $m missing ()"));
}

TEST(WastRunnerTest, CommandsOnAFailedModuleDoNotReachTheEngine) {
  // An engine on which module $b fails to instantiate.
  struct FailSecond : RecordingEngine {
    absl::Status Instantiate(absl::Span<const uint8_t> bytes,
                             std::string_view name) override {
      RecordingEngine::Instantiate(bytes, name).IgnoreError();
      if (name == "$b") return absl::NotFoundError("unknown import");
      return absl::OkStatus();
    }
  } failing;
  WastInvokeOutcome one;
  one.results.push_back({WastValueType::kI32, {1, 0}, false});
  failing.outcomes["one"] = one;
  WastRunner runner(&AcceptAll, &failing);
  WastFileReport report = runner.RunScript("f.wast", R"wast((module $a)
(assert_return (invoke "one") (i32.const 1))
(module $b)
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke $a "one") (i32.const 1))
(assert_return (invoke $b "one") (i32.const 1))
(register "b" $b)
)wast");
  EXPECT_EQ(report.passed, 3);
  EXPECT_EQ(report.failed, 4);
  ASSERT_EQ(report.failures.size(), 4u);
  EXPECT_EQ(report.failures[0].line, 3);
  EXPECT_THAT(report.failures[1].message,
              HasSubstr("the module defined at line 3 failed"));
  EXPECT_THAT(report.failures[2].message,
              HasSubstr("module $b defined at line 3 failed"));
  EXPECT_EQ(report.failures[3].command, "register");
  // The engine saw only the calls on usable modules.
  EXPECT_THAT(failing.calls, ::testing::Contains("invoke $a one ()"));
  EXPECT_THAT(failing.calls,
              ::testing::Not(::testing::Contains("invoke $b one ()")));
}

TEST(WastRunnerTest, UnimplementedModulesAreSkippedWithTheirCommands) {
  struct NoSimd : RecordingEngine {
    absl::Status Instantiate(absl::Span<const uint8_t> bytes,
                             std::string_view name) override {
      RecordingEngine::Instantiate(bytes, name).IgnoreError();
      if (name == "$simd") return absl::UnimplementedError("v128 (SIMD)");
      return absl::OkStatus();
    }
  } engine;
  WastInvokeOutcome one;
  one.results.push_back({WastValueType::kI32, {1, 0}, false});
  engine.outcomes["one"] = one;
  WastRunner runner(&AcceptAll, &engine, WastOptions{.verbose = true});
  WastFileReport report = runner.RunScript("s.wast", R"wast((module $simd)
(assert_return (invoke "one") (i32.const 1))
(register "s" $simd)
(module $ok)
(assert_return (invoke "one") (i32.const 1))
(assert_return (invoke $simd "one") (i32.const 1))
)wast");
  EXPECT_EQ(report.passed, 2);
  EXPECT_EQ(report.failed, 0);
  EXPECT_EQ(report.skipped, 4);
  EXPECT_EQ(report.skipped_not_implemented, 4);
  EXPECT_EQ(report.log[0], "s.wast:1: module: skip: not implemented: v128 (SIMD)");
  EXPECT_THAT(report.log[5], HasSubstr("module $simd defined at line 1 was skipped"));
}

TEST(WastRunnerTest, EngineJudgesUnlinkable) {
  RecordingEngine engine;
  engine.fail_instantiate = true;
  WastRunner runner(&AcceptAll, &engine);
  WastFileReport report = runner.RunScript(
      "u.wast",
      R"wast((assert_unlinkable (module (import "x" "y" (func))) "unknown import"))wast");
  EXPECT_EQ(report.passed, 1);
  engine.fail_instantiate = false;
  report = runner.RunScript(
      "u.wast",
      R"wast((assert_unlinkable (module (import "x" "y" (func))) "unknown import"))wast");
  EXPECT_EQ(report.failed, 1);
}

TEST(WastRunnerTest, ErrorMatchesExpected) {
  EXPECT_TRUE(ErrorMatchesExpected("type mismatch",
                                   "at byte 0x1a: type mismatch: expected i32"));
  EXPECT_TRUE(ErrorMatchesExpected("unknown memory", "unknown memory 0"));
  EXPECT_FALSE(ErrorMatchesExpected("at byte", "at byte 0x1: unexpected end"));
  EXPECT_FALSE(ErrorMatchesExpected("section size mismatch",
                                    "at byte 0x1a: END opcode expected"));
}

TEST(WastRunnerTest, CheckMessagesListsMismatchesWithoutFailing) {
  WastRunner runner(&RejectAll, nullptr, WastOptions{.check_messages = true});
  WastFileReport report = runner.RunScript("m.wast", R"wast(
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (result i32))) "rejected")
)wast");
  EXPECT_EQ(report.passed, 2);
  EXPECT_EQ(report.failed, 0);
  ASSERT_EQ(report.message_mismatches.size(), 1u);
  EXPECT_EQ(report.message_mismatches[0].line, 2);
  EXPECT_THAT(report.message_mismatches[0].message,
              HasSubstr("expected \"type mismatch\""));
}

wabt::Const F32Nan(wabt::ExpectedNan kind) {
  wabt::Const c;
  c.set_f32(kind);
  return c;
}

TEST(WastValuesTest, NanPatterns) {
  WastValue canonical{WastValueType::kF32, {0x7fc00000, 0}, false};
  WastValue negative_canonical{WastValueType::kF32, {0xffc00000, 0}, false};
  WastValue arithmetic{WastValueType::kF32, {0x7fc00001, 0}, false};
  WastValue signalling{WastValueType::kF32, {0x7f800001, 0}, false};
  wabt::Const want_canonical = F32Nan(wabt::ExpectedNan::Canonical);
  wabt::Const want_arithmetic = F32Nan(wabt::ExpectedNan::Arithmetic);
  EXPECT_TRUE(MatchesConst(want_canonical, canonical));
  EXPECT_TRUE(MatchesConst(want_canonical, negative_canonical));
  EXPECT_FALSE(MatchesConst(want_canonical, arithmetic));
  EXPECT_TRUE(MatchesConst(want_arithmetic, arithmetic));
  EXPECT_FALSE(MatchesConst(want_arithmetic, signalling));
  WastValue i32{WastValueType::kI32, {0x7fc00000, 0}, false};
  EXPECT_FALSE(MatchesConst(want_canonical, i32));
}

TEST(WastValuesTest, References) {
  wabt::Const null_extern;
  null_extern.set_null(wabt::Type::ExternRef);
  wabt::Const extern1;
  extern1.set_externref(1);
  wabt::Const any_func;
  any_func.set_funcref();
  WastValue null_value{WastValueType::kExternRef, {0, 0}, true};
  WastValue one{WastValueType::kExternRef, {1, 0}, false};
  WastValue func{WastValueType::kFuncRef, {42, 0}, false};
  EXPECT_TRUE(MatchesConst(null_extern, null_value));
  EXPECT_FALSE(MatchesConst(null_extern, one));
  EXPECT_TRUE(MatchesConst(extern1, one));
  EXPECT_TRUE(MatchesConst(any_func, func));
  EXPECT_FALSE(MatchesConst(any_func, one));
}

TEST(WabtBridgeTest, WatToBinary) {
  absl::StatusOr<std::vector<uint8_t>> binary =
      WatToBinary("t.wat", "(module (func))");
  ASSERT_TRUE(binary.ok()) << binary.status();
  ASSERT_GE(binary->size(), 8u);
  EXPECT_EQ((*binary)[0], 0);
  EXPECT_EQ((*binary)[1], 'a');
  // Bare module fields, as in a quoted module.
  EXPECT_TRUE(WatToBinary("t.wat", "(func) (memory 1)").ok());
  absl::StatusOr<std::vector<uint8_t>> bad =
      WatToBinary("t.wat", "(module (func $f (call $g)))");
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("t.wat:1:"));
}

}  // namespace
}  // namespace kiln::cli
