// Host <-> wasm call costs, each beside a plain C++ call through a function
// pointer measured in the same binary. Names are fixed so that results stay
// comparable from change to change.
//
// The wasm -> host benchmarks run a wasm loop of kBatch calls per
// iteration; BM_NativeIndirectCall runs the same number of C++ calls per
// iteration, so their times compare directly; the "per_call" counter
// (seconds, CPU time) divides by kBatch. The host -> wasm benchmarks make one call per
// iteration.
#include <cstdint>

#include "benchmark/benchmark.h"
#include "benchmarks/host_call_module.h"
#include "engine/kiln.h"
#include "linker/linker.h"

namespace kiln {
namespace {

using bench::kBatch;
using bench::SetPerCall;
constexpr const char* kWat = bench::kHostCallWat;

// The baseline: a non-inlined C++ function with a host function's shape,
// called through a pointer the compiler cannot see through.
__attribute__((noinline)) void NativeNop(void* callee, void* caller,
                                         int32_t x) {
  benchmark::DoNotOptimize(callee);
  benchmark::DoNotOptimize(caller);
  benchmark::DoNotOptimize(x);
}

void BM_NativeIndirectCall(benchmark::State& state) {
  void (*volatile fn)(void*, void*, int32_t) = &NativeNop;
  int dummy = 0;
  for (auto _ : state) {
    auto f = fn;
    for (int32_t i = 0; i < kBatch; ++i) f(&dummy, &dummy, i);
  }
  SetPerCall(state, kBatch);
}
BENCHMARK(BM_NativeIndirectCall);

struct Setup {
  explicit Setup(bool func_new) : store(engine), linker(engine) {
    absl::Status s =
        func_new ? linker.FuncNew("host", "nop", FuncType{{ValType::kI32}, {}},
                                  [](Caller<>&, absl::Span<const Val> p,
                                     absl::Span<Val>) {
                                    benchmark::DoNotOptimize(p[0].i32());
                                    return absl::OkStatus();
                                  })
                 : linker.FuncWrap("host", "nop", [](int32_t x) {
                     benchmark::DoNotOptimize(x);
                   });
    if (!s.ok()) std::abort();
    module = *Module::FromWat(engine, kWat);
    instance = *linker.Instantiate(store, *module);
  }
  Engine engine;
  Store<> store;
  Linker<> linker;
  std::optional<Module> module;
  std::optional<Instance> instance;
};

void WasmToHost(benchmark::State& state, bool func_new) {
  Setup s(func_new);
  auto run = *s.instance->GetTypedFunc<void(int32_t)>(s.store, "loop_nop");
  for (auto _ : state) {
    Result<void> r = run.Call(s.store, kBatch);
    if (!r.ok()) state.SkipWithError("trap");
  }
  SetPerCall(state, kBatch);
}

void BM_WasmToHost_FuncWrap(benchmark::State& state) { WasmToHost(state, false); }
BENCHMARK(BM_WasmToHost_FuncWrap);

void BM_WasmToHost_FuncNew(benchmark::State& state) { WasmToHost(state, true); }
BENCHMARK(BM_WasmToHost_FuncNew);

void BM_HostToWasm_Typed(benchmark::State& state) {
  Setup s(false);
  auto nop = *s.instance->GetTypedFunc<int32_t(int32_t)>(s.store, "nop");
  int32_t i = 0;
  for (auto _ : state) {
    Result<int32_t> r = nop.Call(s.store, i++);
    benchmark::DoNotOptimize(r.ok());
  }
  SetPerCall(state, 1);
}
BENCHMARK(BM_HostToWasm_Typed);

void BM_HostToWasm_Call(benchmark::State& state) {
  Setup s(false);
  Func nop = *s.instance->GetFunc(s.store, "nop");
  Val params[1] = {Val::I32(1)};
  Val results[1];
  for (auto _ : state) {
    Result<void> r = nop.Call(s.store, params, results);
    benchmark::DoNotOptimize(r.ok());
  }
  SetPerCall(state, 1);
}
BENCHMARK(BM_HostToWasm_Call);

void BM_HostToWasm_Unchecked(benchmark::State& state) {
  Setup s(false);
  Func nop = *s.instance->GetFunc(s.store, "nop");
  ValRaw values[1];
  for (auto _ : state) {
    values[0] = ValRaw::I32(1);
    Result<void> r = nop.CallRaw(s.store, values);
    benchmark::DoNotOptimize(r.ok());
  }
  SetPerCall(state, 1);
}
BENCHMARK(BM_HostToWasm_Unchecked);

}  // namespace
}  // namespace kiln
