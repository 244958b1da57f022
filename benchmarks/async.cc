// Async call costs (engine/async_call.h): the fiber switch itself, a host
// -> wasm call through CallAsync beside the synchronous typed call, and
// wasm -> host calls of async host functions beside the synchronous
// FuncWrap. Same conventions as host_call.cc: host -> wasm benchmarks make
// one call per iteration; wasm -> host benchmarks run a wasm loop of kBatch
// calls per iteration and report "per_call".
//
//   bazel run -c opt //benchmarks:async
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "benchmarks/host_call_module.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "runtime/fiber/fiber.h"
#include "runtime/fiber/fiber_stack.h"
#include "runtime/fiber/stack_switch.h"

namespace kiln {
namespace {

using bench::kBatch;
using bench::SetPerCall;
constexpr const char* kWat = bench::kHostCallWat;

// Resume + Suspend: one round trip host -> fiber -> host, including the
// swap of the thread's wasm activation state both ways.
void BM_FiberSwitch(benchmark::State& state) {
  absl::StatusOr<runtime::FiberStack> stack =
      runtime::FiberStack::Create(size_t{256} << 10);
  if (!stack.ok()) std::abort();
  bool stop = false;
  runtime::Fiber fiber(*std::move(stack), [&](runtime::Fiber& f) {
    while (!stop) f.Suspend();
  });
  for (auto _ : state) fiber.Resume();
  stop = true;
  fiber.Resume();
}
BENCHMARK(BM_FiberSwitch);

// The bare stack switch under Fiber (runtime/fiber/stack_switch.h), a
// round trip, without the activation-state swap or sanitizer hooks: ours
// (x86-64) beside Boost.Context's jump_fcontext.
template <runtime::StackContext (*kMake)(uintptr_t, size_t),
          void (*kStart)(runtime::StackContext*, runtime::StackContext,
                         runtime::StackEntry, void*),
          void (*kSwitch)(runtime::StackContext*, runtime::StackContext)>
void StackSwitchRoundTrip(benchmark::State& state) {
  absl::StatusOr<runtime::FiberStack> stack =
      runtime::FiberStack::Create(size_t{64} << 10);
  if (!stack.ok()) std::abort();
  struct Contexts {
    runtime::StackContext host = nullptr;
    runtime::StackContext other = nullptr;
  } c;
  c.other = kMake(stack->top(), stack->size());
  // Left suspended at the end: its frames own nothing.
  kStart(&c.host, c.other, [](void* arg) {
    auto* c = static_cast<Contexts*>(arg);
    for (;;) kSwitch(&c->other, c->host);
  }, &c);
  for (auto _ : state) kSwitch(&c.host, c.other);
}

#ifdef KILN_FIBER_OWN_SWITCH
void BM_StackSwitch_Own(benchmark::State& state) {
  StackSwitchRoundTrip<runtime::MakeStackContext, runtime::StartStack,
                       runtime::SwitchStack>(state);
}
BENCHMARK(BM_StackSwitch_Own);
#endif

void BM_StackSwitch_Boost(benchmark::State& state) {
  StackSwitchRoundTrip<runtime::internal::BoostMakeStackContext,
                       runtime::internal::BoostStartStack,
                       runtime::internal::BoostSwitchStack>(state);
}
BENCHMARK(BM_StackSwitch_Boost);

enum class HostKind { kSync, kAsyncReady, kAsyncPending };

struct Setup {
  Setup(bool async, HostKind host)
      : engine(MakeConfig(async)), store(engine), linker(engine) {
    absl::Status s;
    switch (host) {
      case HostKind::kSync:
        s = linker.FuncWrap("host", "nop",
                            [](int32_t x) { benchmark::DoNotOptimize(x); });
        break;
      case HostKind::kAsyncReady:
        s = linker.FuncWrapAsync("host", "nop", [](int32_t x) {
          benchmark::DoNotOptimize(x);
          return Future<void>::Ready(absl::OkStatus());
        });
        break;
      case HostKind::kAsyncPending:
        s = linker.FuncWrapAsync("host", "nop", [this](int32_t x) {
          benchmark::DoNotOptimize(x);
          auto [f, p] = MakeFuture<void>();
          pending.emplace(std::move(p));
          return std::move(f);
        });
        break;
    }
    if (!s.ok()) std::abort();
    module = *Module::FromWat(engine, kWat);
    if (async) {
      instance = *linker.InstantiateAsync(store, *module).Run([] {});
    } else {
      instance = *linker.Instantiate(store, *module);
    }
  }
  static Config MakeConfig(bool async) {
    Config c;
    c.async_support = async;
    return c;
  }
  Engine engine;
  Store<> store;
  Linker<> linker;
  std::optional<Module> module;
  std::optional<Instance> instance;
  std::optional<Promise<void>> pending;
};

void BM_HostToWasm_Typed(benchmark::State& state) {
  Setup s(false, HostKind::kSync);
  auto nop = *s.instance->GetTypedFunc<int32_t(int32_t)>(s.store, "nop");
  int32_t i = 0;
  for (auto _ : state) {
    Result<int32_t> r = nop.Call(s.store, i++);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HostToWasm_Typed);

// CallAsync + one Poll that runs it to the end on the store's fiber.
void BM_HostToWasm_CallAsync(benchmark::State& state) {
  Setup s(true, HostKind::kSync);
  auto nop = *s.instance->GetTypedFunc<int32_t(int32_t)>(s.store, "nop");
  int32_t i = 0;
  for (auto _ : state) {
    AsyncCall<int32_t> call = nop.CallAsync(s.store, i++);
    if (call.Poll() != AsyncPoll::kReady) std::abort();
    Result<int32_t> r = call.TakeResult();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_HostToWasm_CallAsync);

void BM_WasmToHost_FuncWrap(benchmark::State& state) {
  Setup s(false, HostKind::kSync);
  auto loop = *s.instance->GetTypedFunc<void(int32_t)>(s.store, "loop_nop");
  for (auto _ : state) {
    if (!loop.Call(s.store, kBatch).ok()) std::abort();
  }
  SetPerCall(state, kBatch);
}
BENCHMARK(BM_WasmToHost_FuncWrap);

// An async host function whose future is complete at once: no suspension.
void BM_WasmToHost_FuncWrapAsync(benchmark::State& state) {
  Setup s(true, HostKind::kAsyncReady);
  auto loop = *s.instance->GetTypedFunc<void(int32_t)>(s.store, "loop_nop");
  for (auto _ : state) {
    AsyncCall<void> call = loop.CallAsync(s.store, kBatch);
    if (call.Poll() != AsyncPoll::kReady) std::abort();
    if (!call.TakeResult().ok()) std::abort();
  }
  SetPerCall(state, kBatch);
}
BENCHMARK(BM_WasmToHost_FuncWrapAsync);

// An async host function that suspends every time; the "event loop" sets
// the promise and polls again: a suspension + wake + resume per call.
// `with_waker`: a waker is set (it counts), so every wake runs it.
void RunAsyncPending(benchmark::State& state, bool with_waker) {
  Setup s(true, HostKind::kAsyncPending);
  auto loop = *s.instance->GetTypedFunc<void(int32_t)>(s.store, "loop_nop");
  int64_t wakes = 0;
  for (auto _ : state) {
    AsyncCall<void> call = loop.CallAsync(s.store, kBatch);
    if (with_waker) call.SetWaker([&wakes] { ++wakes; });
    while (call.Poll() == AsyncPoll::kPending) {
      Promise<void> p = *std::move(s.pending);
      s.pending.reset();
      p.Set(absl::OkStatus());
    }
    if (!call.TakeResult().ok()) std::abort();
  }
  benchmark::DoNotOptimize(wakes);
  SetPerCall(state, kBatch);
}
void BM_WasmToHost_FuncWrapAsyncPending(benchmark::State& state) {
  RunAsyncPending(state, /*with_waker=*/false);
}
BENCHMARK(BM_WasmToHost_FuncWrapAsyncPending);
void BM_WasmToHost_FuncWrapAsyncPendingWaker(benchmark::State& state) {
  RunAsyncPending(state, /*with_waker=*/true);
}
BENCHMARK(BM_WasmToHost_FuncWrapAsyncPendingWaker);

}  // namespace
}  // namespace kiln
