// The differential fuzzer's view of Kiln: run one module the way binaryen's
// fuzz-exec does and describe everything observable in the canonical trace
// format (fuzz/README.md). This is the ONE file pair that uses Kiln's
// embedding API, so an API change is ported here and nowhere else.
#ifndef KILN_FUZZ_DIFF_KILN_RUNNER_H_
#define KILN_FUZZ_DIFF_KILN_RUNNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kiln::fuzz_diff {

// How exports are called.
enum class Protocol {
  // binaryen's ExecutionResults::get (wasm-opt --fuzz-exec-before, v108):
  // before every exported function (hangLimitInitializer included) call
  // the export "hangLimitInitializer" if there is one, so every export
  // starts with a fresh hang budget.
  kBinaryen,
  // Each exported function once, in order, nothing in between.
  kPlain,
};

// One Kiln configuration that changes the generated code or the runtime
// path the module takes.
struct RunConfig {
  std::string name;
  bool optimize = true;
  bool verify = false;
  bool consume_fuel = false;
  // With consume_fuel: each exported function call gets between 50 and
  // 50 + fuel_per_call fuel (0: 2^62, effectively unlimited). A small
  // budget makes calls trap "fuel" partway; the comparer checks the trace
  // up to the first such trap.
  uint64_t fuel_per_call = 0;
  bool epoch_interruption = false;
  // With epoch_interruption: a thread advances the epoch every few
  // microseconds and the store's deadline callback continues each time,
  // so the out-of-line epoch paths (builtin call, jump back to the loop
  // header) run at arbitrary points; the trace must not change.
  bool epoch_callback = false;
  bool pooling = false;
  // Copy data segments at instantiation instead of mapping a copy-on-write
  // memory image (Config::memory_init_cow = false).
  bool no_cow = false;
  // Compile, Serialize to a file, DeserializeFile, run the loaded module.
  bool cwasm_round_trip = false;
};

// Every configuration the fuzzer knows, by name: default, noopt, verify,
// fuel, fuel-limited, epoch, epoch-callback, pooling, nocow, cwasm.
std::vector<RunConfig> AllConfigs();

// Instantiates `wasm` under `config` with the "fuzzing-support" log imports
// and calls every exported function with zero arguments, following
// `protocol`. Returns the trace (one line per event, see README). An error
// is returned only for harness problems (an import the fuzzer does not
// provide, a temporary file it cannot write); Kiln rejecting the module is
// part of the trace ("error ...") because an oracle accepted it.
absl::StatusOr<std::string> RunModule(absl::Span<const uint8_t> wasm,
                                      const RunConfig& config,
                                      Protocol protocol,
                                      const std::string& tmp_dir);

}  // namespace kiln::fuzz_diff

#endif  // KILN_FUZZ_DIFF_KILN_RUNNER_H_
