// `kiln wast FILE...`: runs spec-suite scripts (see wast_runner.h).
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "cli/kiln_wast_engine.h"
#include "cli/subcommand.h"
#include "cli/wast_runner.h"
#include "wasm/decoder.h"
#include "wasm/features.h"

namespace kiln::cli {
namespace {

constexpr std::string_view kHelp =
    R"(Usage: kiln wast [--verbose] [--check-messages] [--interrupt] [--pooling]
                 [--relaxed-simd-deterministic]
                 [--features=auto|all|none|NAME,...] FILE...

Runs WebAssembly spec-test scripts (.wast). wabt parses each script; every
module is decoded and validated by Kiln:
  module              must decode and validate
  assert_malformed    must be rejected (by wabt's text parser for quoted
                      text, else by Kiln's decoder)
  assert_invalid      must be rejected by Kiln's validator
  assert_unlinkable     must validate, then fail to link
  assert_uninstantiable must validate, then trap while instantiating
Commands that execute code (invoke, get, register, assert_return,
assert_trap, assert_exhaustion) run on Kiln's engine with the standard
"spectest" host module. A module the engine reports as not implemented
(e.g. SIMD before the compiler supports it) is skipped, and so are the
commands that use it; the count is printed before the final line.

Prints failures as FILE:LINE, a line per file, and a final line
"N passed, N failed, N skipped". Exits 1 if anything failed.

Options:
  -v, --verbose       print every command's verdict
  --check-messages    also list passing assertions whose error or trap
                      message lacks the text the script expects
                      (informational: does not count as a failure)
  --interrupt         compile with fuel and epoch checks (Config::consume_fuel
                      and epoch_interruption), give each store all the fuel
                      there is, and end an epoch every millisecond with a
                      deadline callback that always continues: every
                      result must be the same as without the checks
  --pooling           instantiate with the pooling allocator
                      (Config::allocation_strategy = kPooling, limits wide
                      enough for the suite): every result must be the same
  --relaxed-simd-deterministic
                      relaxed SIMD gives the deterministic profile's
                      results (Config::relaxed_simd_deterministic)
  --features=SET      the WebAssembly proposals (wasm/features.def names:
                      tail-call, extended-const, multi-memory, memory64,
                      threads, relaxed-simd) wabt's parser and Kiln's
                      validator accept: `auto` (the default) turns on, per
                      script, the proposal whose testsuite directory holds
                      it (.../proposals/NAME/x.wast) and nothing for other
                      scripts (the 2.0 core suite); `all`, `none`, or a
                      comma-separated list for every script
  -h, --help          this text
)";

std::string_view Basename(std::string_view path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The proposal of a script under a testsuite's proposals/NAME/ directory.
wasm::Features FeaturesForScript(std::string_view path) {
  wasm::Features features = wasm::Features::None();
  constexpr std::string_view kDir = "proposals/";
  size_t at = path.rfind(kDir);
  if (at == std::string_view::npos) return features;
  std::string_view rest = path.substr(at + kDir.size());
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return features;
  if (std::optional<wasm::Feature> f =
          wasm::FeatureFromName(rest.substr(0, slash))) {
    features.Set(*f, true);
  }
  return features;
}

// `all`, `none` or NAME,NAME...; nullopt for `auto`; error text otherwise.
absl::StatusOr<std::optional<wasm::Features>> ParseFeatures(
    std::string_view value) {
  if (value == "auto") return std::optional<wasm::Features>();
  if (value == "all") return std::optional(wasm::Features::All());
  wasm::Features features = wasm::Features::None();
  if (value == "none") return std::optional(features);
  for (absl::string_view piece :
       absl::StrSplit(std::string(value), ',', absl::SkipEmpty())) {
    const std::string name(piece);
    std::optional<wasm::Feature> f = wasm::FeatureFromName(name);
    if (!f.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown feature '", name, "' (known: ",
                       wasm::Features::All().ToString(), ")"));
    }
    features.Set(*f, true);
  }
  return std::optional(features);
}

int Run(const std::vector<std::string_view>& args) {
  WastOptions options;
  bool interrupt = false;
  bool pooling = false;
  bool relaxed_simd_deterministic = false;
  std::optional<wasm::Features> fixed_features;  // nullopt: auto
  std::vector<std::string> files;
  bool options_done = false;
  for (std::string_view arg : args) {
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && (arg == "-v" || arg == "--verbose")) {
      options.verbose = true;
    } else if (!options_done && arg == "--check-messages") {
      options.check_messages = true;
    } else if (!options_done && arg == "--interrupt") {
      interrupt = true;
    } else if (!options_done && arg == "--pooling") {
      pooling = true;
    } else if (!options_done && arg == "--relaxed-simd-deterministic") {
      relaxed_simd_deterministic = true;
    } else if (!options_done && arg.substr(0, 11) == "--features=") {
      absl::StatusOr<std::optional<wasm::Features>> parsed =
          ParseFeatures(arg.substr(std::string_view("--features=").size()));
      if (!parsed.ok()) {
        std::fprintf(stderr, "kiln wast: %s\n",
                     std::string(parsed.status().message()).c_str());
        return 2;
      }
      fixed_features = *parsed;
    } else if (!options_done && arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "kiln wast: unknown option '%.*s'\n%.*s",
                   static_cast<int>(arg.size()), arg.data(),
                   static_cast<int>(kHelp.size()), kHelp.data());
      return 2;
    } else {
      files.emplace_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "kiln wast: no script given\n%.*s",
                 static_cast<int>(kHelp.size()), kHelp.data());
    return 2;
  }

  // The execution engine plugs in here: pass a WastEngine (wast_engine.h)
  // and the runner executes invoke/get/register/assert_return/assert_trap/
  // assert_exhaustion and judges assert_unlinkable/assert_uninstantiable.
  kiln::Config config;
  config.consume_fuel = interrupt;
  config.epoch_interruption = interrupt;
  config.relaxed_simd_deterministic = relaxed_simd_deterministic;
  if (pooling) {
    // One store per script keeps all its instances alive (up to ~500);
    // memories may grow to 4 GiB as without the pool. No script needs more
    // than 1,000 table elements or 4 tables per module (the margins keep
    // the pool's writable table storage at a few GiB of address space), nor
    // more than 4 memories per module (multi-memory; each is a 6 GiB
    // MAP_NORESERVE reservation: 24 TiB of address space in all).
    config.allocation_strategy = kiln::InstanceAllocationStrategy::kPooling;
    config.pooling.total_instances = 1000;
    config.pooling.max_memories_per_instance = 4;
    config.pooling.max_tables_per_instance = 8;
    config.pooling.max_memory_size = uint64_t{4} << 30;
    config.pooling.max_table_elements = 100'000;
  }
  KilnWastEngine engine(config);
  // --interrupt: the deadline is always reached again within a
  // millisecond, so the NewEpoch slow path runs in the middle of whatever
  // the scripts execute (KilnWastEngine's callback continues).
  absl::Notification done;
  std::optional<std::thread> ticker;
  if (interrupt) {
    ticker.emplace([&done, e = engine.engine()] {
      while (!done.WaitForNotificationWithTimeout(absl::Milliseconds(1))) {
        e.IncrementEpoch();
      }
    });
  }
  struct StopTicker {
    absl::Notification& done;
    std::optional<std::thread>& ticker;
    ~StopTicker() {
      done.Notify();
      if (ticker.has_value()) ticker->join();
    }
  } stop_ticker{done, ticker};
  int passed = 0, failed = 0, skipped = 0;
  size_t mismatches = 0;
  int not_implemented = 0;
  for (const std::string& file : files) {
    // The engine accepts every proposal (Config's default); the validator
    // and the parser accept only the script's, so a 2.0 script's
    // assert_invalid still sees 2.0 rules.
    WastOptions file_options = options;
    file_options.features = fixed_features.value_or(FeaturesForScript(file));
    wasm::DecodeOptions decode_options;
    decode_options.features = file_options.features;
    WastRunner runner(
        [&decode_options](absl::Span<const uint8_t> bytes) {
          return wasm::DecodeModule(bytes, decode_options).status();
        },
        &engine, file_options);
    WastFileReport report = runner.RunFile(file);
    for (const std::string& line : report.log) {
      std::printf("%s\n", line.c_str());
    }
    for (const WastFailure& failure : report.failures) {
      std::printf("%s:%d: %s: %s\n", file.c_str(), failure.line,
                  failure.command.c_str(), failure.message.c_str());
    }
    for (const WastFailure& mismatch : report.message_mismatches) {
      std::printf("%s:%d: %s: message mismatch: %s\n", file.c_str(),
                  mismatch.line, mismatch.command.c_str(),
                  mismatch.message.c_str());
    }
    std::string_view base = Basename(file);
    std::printf("%.*s: %d passed, %d failed, %d skipped",
                static_cast<int>(base.size()), base.data(), report.passed,
                report.failed, report.skipped);
    if (options.check_messages) {
      std::printf(", %zu message mismatches", report.message_mismatches.size());
      mismatches += report.message_mismatches.size();
    }
    std::printf("\n");
    std::fflush(stdout);
    passed += report.passed;
    failed += report.failed;
    skipped += report.skipped;
    not_implemented += report.skipped_not_implemented;
  }
  if (options.check_messages) {
    std::printf("%zu message mismatches (informational)\n", mismatches);
  }
  if (not_implemented > 0) {
    std::printf("%d skipped as not implemented in Kiln yet (see --verbose)\n",
                not_implemented);
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}

}  // namespace

const Subcommand& WastSubcommand() {
  static const Subcommand kSubcommand = {
      .name = "wast",
      .summary = "run WebAssembly spec-test scripts (.wast)",
      .help = kHelp,
      .run = &Run,
  };
  return kSubcommand;
}

}  // namespace kiln::cli
