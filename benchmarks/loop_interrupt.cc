// The cost of interruption checks on a compute loop: the same kernel on an
// engine with neither option, with epoch interruption (a deadline that is
// never reached) and with fuel (more fuel than the loop uses).
//
//   bazel run -c opt //benchmarks:instantiate -- --benchmark_filter=BM_Loop
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   (one command)
#include <cstdint>
#include <limits>
#include <optional>

#include "benchmark/benchmark.h"
#include "engine/kiln.h"

namespace kiln {
namespace {

// 1e6 iterations of an FNV-style hash step: xor, multiply, xorshift, plus
// the counter and the exit test (~8 machine instructions per iteration).
constexpr const char* kLoopWat = R"(
  (module
    (func (export "hash") (param $n i32) (result i32)
      (local $h i32) (local $i i32)
      (local.set $h (i32.const 0x811c9dc5))
      (block $done
        (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
          (local.set $h (i32.mul (i32.xor (local.get $h) (local.get $i))
                                 (i32.const 16777619)))
          (local.set $h (i32.xor (local.get $h)
                                 (i32.shr_u (local.get $h) (i32.const 13))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
      (local.get $h)))
)";

constexpr int32_t kIterations = 1000000;

enum class Checks { kNone, kEpoch, kFuel };

void RunLoop(benchmark::State& state, Checks checks) {
  Config config;
  config.epoch_interruption = checks == Checks::kEpoch;
  config.consume_fuel = checks == Checks::kFuel;
  Engine engine(config);
  absl::StatusOr<Module> module = Module::FromWat(engine, kLoopWat);
  if (!module.ok()) {
    state.SkipWithError(std::string(module.status().message()).c_str());
    return;
  }
  Store<> store(engine);
  if (checks == Checks::kEpoch) {
    store.SetEpochDeadline(std::numeric_limits<uint64_t>::max());
  }
  Result<Instance> instance = Instance::Create(store, *module, {});
  if (!instance.ok()) {
    state.SkipWithError("instantiation failed");
    return;
  }
  auto hash = instance->GetTypedFunc<int32_t(int32_t)>(store, "hash");
  if (!hash.ok()) {
    state.SkipWithError("no hash export");
    return;
  }
  for (auto _ : state) {
    if (checks == Checks::kFuel) {
      // Outside the measured work in effect: one store, no wasm.
      (void)store.SetFuel(std::numeric_limits<int64_t>::max());
    }
    Result<int32_t> r = hash->Call(store, kIterations);
    if (!r.ok()) {
      state.SkipWithError("the loop trapped");
      return;
    }
    benchmark::DoNotOptimize(*r);
  }
  state.SetItemsProcessed(state.iterations() * kIterations);
}

void BM_Loop_NoInterrupt(benchmark::State& state) {
  RunLoop(state, Checks::kNone);
}
void BM_Loop_Epoch(benchmark::State& state) { RunLoop(state, Checks::kEpoch); }
void BM_Loop_Fuel(benchmark::State& state) { RunLoop(state, Checks::kFuel); }

BENCHMARK(BM_Loop_NoInterrupt)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Loop_Epoch)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Loop_Fuel)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kiln
