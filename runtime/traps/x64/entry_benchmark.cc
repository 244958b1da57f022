// Cost of entering and leaving wasm: EnterWasm round trip of a tiny
// function, and a trap round trip (signal + landing).
#include "benchmark/benchmark.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/entry.h"
#include "runtime/traps/x64/test_module.h"

namespace kiln::runtime {
namespace {

using namespace asmjit::x86;

testing::TestModule* Module() {
  static testing::TestModule* m = [] {
    auto* m = new testing::TestModule();
    Assembler& a = m->a();
    m->BeginFunction(0);  // (a, b) -> a + b
    a.lea(rax, ptr(rdi, rsi));
    a.ret();
    m->EndFunction();
    m->BeginFunction(1);  // unreachable
    a.push(rbp);
    a.mov(rbp, rsp);
    m->TrapHere(abi::TrapCode::kUnreachableCodeReached);
    a.ud2();
    m->EndFunction();
    if (!InitTrapHandling().ok() || !m->Finish().ok()) std::abort();
    return m;
  }();
  return m;
}

void BM_EnterWasmReturn(benchmark::State& state) {
  auto fn = Module()->Function<int64_t (*)(int64_t, int64_t)>(0);
  abi::VMRuntimeLimits limits;
  int64_t r = 0;
  for (auto _ : state) {
    auto trap = CallWasm(fn, &r, &limits, int64_t{1}, r);
    benchmark::DoNotOptimize(trap);
  }
  benchmark::DoNotOptimize(r);
}
BENCHMARK(BM_EnterWasmReturn);

// The fast path TypedFunc uses: BeginEntry + typed entry trampoline.
void BM_EnterWasmTyped(benchmark::State& state) {
  auto fn = Module()->Function<int64_t (*)(int64_t, int64_t)>(0);
  using Entry = int64_t (*)(int64_t, EntryFrame*);
  auto entry = reinterpret_cast<Entry>(*EntryTrampoline(0));
  abi::VMRuntimeLimits limits;
  int64_t r = 0;
  for (auto _ : state) {
    EntryFrame frame;
    frame.code = reinterpret_cast<const void*>(fn);
    frame.arg1 = reinterpret_cast<void*>(r);
    BeginEntry(frame, &limits, kDefaultMaxWasmStack);
    r = entry(1, &frame);
    EndEntry(frame);
    if (frame.trap.trapped) std::abort();
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_EnterWasmTyped);

void BM_DirectCall(benchmark::State& state) {
  auto fn = Module()->Function<int64_t (*)(int64_t, int64_t)>(0);
  benchmark::DoNotOptimize(fn);
  int64_t r = 0;
  for (auto _ : state) {
    r = fn(1, r);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_DirectCall);

void BM_TrapRoundTrip(benchmark::State& state) {
  auto fn = Module()->Function<int64_t (*)()>(1);
  abi::VMRuntimeLimits limits;
  int64_t r = 0;
  for (auto _ : state) {
    auto trap = CallWasm(fn, &r, &limits);
    benchmark::DoNotOptimize(trap);
  }
}
BENCHMARK(BM_TrapRoundTrip);

}  // namespace
}  // namespace kiln::runtime
