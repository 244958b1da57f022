// WebAssembly 3.0 proposals (issue 16): each proposal's section measures
// the feature against the 2.0 way of doing the same work.
//
//   bazel run -c opt //benchmarks:proposals -- --benchmark_repetitions=5
//     --benchmark_report_aggregates_only=true
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/str_replace.h"
#include "benchmark/benchmark.h"
#include "engine/kiln.h"

namespace kiln {
namespace {

// Compiles `wat`, instantiates it in `store` and returns export `name`.
template <typename Sig>
absl::StatusOr<TypedFunc<Sig>> Load(Engine& engine, Store<>& store,
                                    const char* wat, const char* name) {
  absl::StatusOr<Module> module = Module::FromWat(engine, wat);
  if (!module.ok()) return module.status();
  Result<Instance> instance = Instance::Create(store, *module, {});
  if (!instance.ok()) return absl::InternalError("instantiation failed");
  auto f = instance->GetTypedFunc<Sig>(store, name);
  if (!f.ok()) return absl::NotFoundError(name);
  return *f;
}

// Calls export `name` of `wat` (result R) with `args` once per benchmark
// iteration; false (the benchmark marked failed) when it does not load or
// traps (`trap_message`).
template <typename R, typename... Args>
bool CallEachIteration(benchmark::State& state, const char* wat,
                       const char* name, const char* trap_message,
                       Args... args) {
  Engine engine;
  Store<> store(engine);
  auto f = Load<R(Args...)>(engine, store, wat, name);
  if (!f.ok()) {
    state.SkipWithError(std::string(f.status().message()).c_str());
    return false;
  }
  for (auto _ : state) {
    Result<R> r = f->Call(store, args...);
    if (!r.ok()) {
      state.SkipWithError(trap_message);
      return false;
    }
    benchmark::DoNotOptimize(*r);
  }
  return true;
}

// ===========================================================================
// Tail calls (tail-call proposal): BM_TailCallLoop, BM_BrLoop.
// The same counting loop, once as a tail-recursive function (every
// iteration a return_call of itself) and once as a loop with br: the ratio
// is what a real tail call costs over a jump (target: <= 1.2). The
// recursion depth, kTailIterations per call, would need ~32 bytes of stack
// per frame without tail calls (hundreds of MiB): it runs at all only in
// constant stack.
// ===========================================================================

constexpr int64_t kTailIterations = 10'000'000;

constexpr const char* kTailWat = R"(
  (module
    (func $loop (export "tail") (param $n i64) (param $acc i64) (result i64)
      (if (result i64) (i64.eqz (local.get $n))
        (then (local.get $acc))
        (else
          (return_call $loop
            (i64.sub (local.get $n) (i64.const 1))
            (i64.add (i64.mul (local.get $acc) (i64.const 31))
                     (local.get $n))))))
    (func (export "br") (param $n i64) (param $acc i64) (result i64)
      (block $done
        (loop $l
          (br_if $done (i64.eqz (local.get $n)))
          (local.set $acc (i64.add (i64.mul (local.get $acc) (i64.const 31))
                                   (local.get $n)))
          (local.set $n (i64.sub (local.get $n) (i64.const 1)))
          (br $l)))
      (local.get $acc)))
)";

void RunTailLoop(benchmark::State& state, const char* name) {
  if (CallEachIteration<int64_t>(state, kTailWat, name,
                                 "the loop trapped (stack exhausted?)",
                                 kTailIterations, int64_t{1})) {
    state.SetItemsProcessed(state.iterations() * kTailIterations);
  }
}

void BM_TailCallLoop(benchmark::State& state) { RunTailLoop(state, "tail"); }
void BM_BrLoop(benchmark::State& state) { RunTailLoop(state, "br"); }

BENCHMARK(BM_TailCallLoop)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BrLoop)->Unit(benchmark::kMillisecond);

// ===========================================================================
// Relaxed SIMD: BM_RelaxedDotI8, BM_DotI8.
// An int8 dot product of two 64 KiB vectors into i32x4 accumulators, once
// with i32x4.relaxed_dot_i8x16_i7x16_add_s (pmaddubsw + pmaddwd + paddd on
// x86-64) and once the 2.0 way (extmul low/high, extadd_pairwise, add).
// ===========================================================================

constexpr int64_t kDotBytes = 65536;

constexpr const char* kDotWat = R"(
  (module
    (memory 2)
    (func (export "relaxed") (result i32)
      (local $i i32) (local $acc v128)
      (loop $l
        (local.set $acc
          (i32x4.dot_i8x16_i7x16_add_s
            (v128.load (local.get $i))
            (v128.load offset=65536 (local.get $i))
            (local.get $acc)))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 16)))
                          (i32.const 65536))))
      (i32x4.extract_lane 0 (local.get $acc)))
    (func (export "exact") (result i32)
      (local $i i32) (local $a v128) (local $b v128) (local $acc v128)
      (loop $l
        (local.set $a (v128.load (local.get $i)))
        (local.set $b (v128.load offset=65536 (local.get $i)))
        (local.set $acc
          (i32x4.add
            (i32x4.add (local.get $acc)
              (i32x4.extadd_pairwise_i16x8_s
                (i16x8.extmul_low_i8x16_s (local.get $a) (local.get $b))))
            (i32x4.extadd_pairwise_i16x8_s
              (i16x8.extmul_high_i8x16_s (local.get $a) (local.get $b)))))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 16)))
                          (i32.const 65536))))
      (i32x4.extract_lane 0 (local.get $acc))))
)";

void RunDot(benchmark::State& state, const char* name) {
  if (CallEachIteration<int32_t>(state, kDotWat, name,
                                 "the dot product trapped")) {
    state.SetBytesProcessed(state.iterations() * kDotBytes);
  }
}

void BM_RelaxedDotI8(benchmark::State& state) { RunDot(state, "relaxed"); }
void BM_DotI8(benchmark::State& state) { RunDot(state, "exact"); }

BENCHMARK(BM_RelaxedDotI8)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DotI8)->Unit(benchmark::kMicrosecond);

// ===========================================================================
// Multi-memory: BM_SumMemory0, BM_SumMemory1.
// The same i32 summing loop over 256 KiB of memory 0 or memory 1 of a
// module with two memories (both filled with the same values first).
// Memory 1's base comes from its own VMContext field, loaded once per call
// like memory 0's, so the loops are the same instructions but for that
// field's offset (target: memory 1 within 1.1x of memory 0). Each
// benchmark compiles its own module from the same text (only the loop's
// memory index differs), so both loops also sit at the same code
// alignment: with both in one module, whichever came second ran up to
// ~25% slower, memory 0 or 1 alike.
// ===========================================================================

constexpr int64_t kSumBytes = 4 * 65536;

constexpr const char* kSumWat = R"(
  (module
    (memory $m0 4)
    (memory $m1 4)
    (func (export "fill")
      (local $i i32)
      (loop $l
        (i32.store $m0 (local.get $i) (local.get $i))
        (i32.store $m1 (local.get $i) (local.get $i))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                          (i32.const 262144)))))
    (func (export "sum") (result i32)
      (local $i i32) (local $acc i32)
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (i32.load $mSUM (local.get $i))))
        (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                          (i32.const 262144))))
      (local.get $acc)))
)";

// Runs the module's "sum" after its "fill" (kSumWat's exports).
void RunSumWat(benchmark::State& state, const std::string& wat) {
  Engine engine;
  Store<> store(engine);
  absl::StatusOr<Module> module = Module::FromWat(engine, wat);
  if (!module.ok()) {
    state.SkipWithError(std::string(module.status().message()).c_str());
    return;
  }
  Result<Instance> instance = Instance::Create(store, *module, {});
  if (!instance.ok()) {
    state.SkipWithError("instantiation failed");
    return;
  }
  auto fill = instance->GetTypedFunc<void()>(store, "fill");
  auto sum = instance->GetTypedFunc<int32_t()>(store, "sum");
  if (!fill.ok() || !sum.ok() || !fill->Call(store).ok()) {
    state.SkipWithError("fill or sum missing, or fill trapped");
    return;
  }
  for (auto _ : state) {
    Result<int32_t> r = sum->Call(store);
    if (!r.ok()) {
      state.SkipWithError("the sum trapped");
      return;
    }
    benchmark::DoNotOptimize(*r);
  }
  state.SetBytesProcessed(state.iterations() * kSumBytes);
}

void RunSum(benchmark::State& state, const char* memory) {
  RunSumWat(state, absl::StrReplaceAll(kSumWat, {{"$mSUM", memory}}));
}

void BM_SumMemory0(benchmark::State& state) { RunSum(state, "$m0"); }
void BM_SumMemory1(benchmark::State& state) { RunSum(state, "$m1"); }

BENCHMARK(BM_SumMemory0)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SumMemory1)->Unit(benchmark::kMicrosecond);

// ===========================================================================
// Memory64: BM_SumMemory64, the summing loop of BM_SumMemory0 over a 64-bit
// memory (i64 addresses). Each load is checked explicitly against the
// length (the 4 GiB guard does not cover a 64-bit address); the bound
// (length + 1 - 4) is loop-invariant and hoisted, so the loop keeps one
// compare per load. Target: within 1.3x of BM_SumMemory0.
// ===========================================================================

constexpr const char* kSum64Wat = R"(
  (module
    (memory i64 4)
    (func (export "fill")
      (local $i i64)
      (loop $l
        (i64.store32 (local.get $i) (local.get $i))
        (br_if $l (i64.ne (local.tee $i (i64.add (local.get $i) (i64.const 4)))
                          (i64.const 262144)))))
    (func (export "sum") (result i32)
      (local $i i64) (local $acc i32)
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (i32.load (local.get $i))))
        (br_if $l (i64.ne (local.tee $i (i64.add (local.get $i) (i64.const 4)))
                          (i64.const 262144))))
      (local.get $acc)))
)";

void BM_SumMemory64(benchmark::State& state) { RunSumWat(state, kSum64Wat); }

BENCHMARK(BM_SumMemory64)->Unit(benchmark::kMicrosecond);

// ===========================================================================
// Threads (wasm3-memory): BM_AtomicAdd, BM_NativeAtomicAdd,
// BM_WaitNotifyRoundTrip go here.
// ===========================================================================

// ===========================================================================
// Threads: BM_AtomicAdd, BM_NativeAtomicAdd, BM_WaitNotifyRoundTrip.
// An uncontended loop of i32.atomic.rmw.add on a shared memory (its old
// value summed, so it is a real read-modify-write: lock xadd) against the
// same loop in C++ with std::atomic<int32_t>::fetch_add (seq_cst, also
// lock xadd) (target: wasm within 1.2x); and a wait/notify ping-pong
// between two threads, each in its own store over one SharedMemory: one
// iteration is one round trip (store 1 + notify, the other thread wakes,
// stores 0 + notifies, the first wakes).
// ===========================================================================

constexpr int32_t kAtomicIterations = 10'000'000;

constexpr const char* kAtomicWat = R"(
  (module
    (memory 1 1 shared)
    (func (export "add") (param $n i32) (result i32)
      (local $acc i32)
      (loop $l
        (local.set $acc
          (i32.add (local.get $acc)
                   (i32.atomic.rmw.add (i32.const 64) (i32.const 1))))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $acc)))
)";

void BM_AtomicAdd(benchmark::State& state) {
  if (CallEachIteration<int32_t>(state, kAtomicWat, "add",
                                 "the atomic loop trapped",
                                 kAtomicIterations)) {
    state.SetItemsProcessed(state.iterations() * kAtomicIterations);
  }
}

// Not inlined, like the wasm call, so the loop is compiled on its own.
[[gnu::noinline]] int32_t NativeAtomicAdd(std::atomic<int32_t>& counter,
                                          int32_t n) {
  int32_t acc = 0;
  do {
    acc += counter.fetch_add(1);
  } while (--n != 0);
  return acc;
}

void BM_NativeAtomicAdd(benchmark::State& state) {
  alignas(64) std::atomic<int32_t> counter{0};
  for (auto _ : state) {
    benchmark::DoNotOptimize(NativeAtomicAdd(counter, kAtomicIterations));
  }
  state.SetItemsProcessed(state.iterations() * kAtomicIterations);
}

BENCHMARK(BM_AtomicAdd)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NativeAtomicAdd)->Unit(benchmark::kMillisecond);

constexpr const char* kPingPongWat = R"(
  (module
    (import "env" "memory" (memory 1 1 shared))
    ;; The flag at 0: 1 = ping sent, 0 = answered, 2 = stop.
    (func (export "ping")
      (i32.atomic.store (i32.const 0) (i32.const 1))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (loop $w
        (if (i32.eq (i32.atomic.load (i32.const 0)) (i32.const 1))
          (then
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1)
                                        (i64.const -1)))
            (br $w)))))
    (func (export "pong")
      (loop $serve
        (block $got
          (loop $w
            (br_if $got (i32.ne (i32.atomic.load (i32.const 0)) (i32.const 0)))
            (drop (memory.atomic.wait32 (i32.const 0) (i32.const 0)
                                        (i64.const -1)))
            (br $w)))
        (if (i32.eq (i32.atomic.load (i32.const 0)) (i32.const 2))
          (then (return)))
        (i32.atomic.store (i32.const 0) (i32.const 0))
        (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
        (br $serve)))
    (func (export "stop")
      (i32.atomic.store (i32.const 0) (i32.const 2))
      (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))))
)";

void BM_WaitNotifyRoundTrip(benchmark::State& state) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, kPingPongWat);
  MemoryType type;
  type.limits = {1, 1};
  type.shared = true;
  absl::StatusOr<SharedMemory> memory = SharedMemory::New(engine, type);
  if (!module.ok() || !memory.ok()) {
    state.SkipWithError("the ping-pong module or its memory failed");
    return;
  }
  // One store per thread, both importing the memory.
  auto instantiate = [&](Store<>& store) -> std::optional<Instance> {
    absl::StatusOr<Memory> m = memory->ToMemory(store);
    if (!m.ok()) return std::nullopt;
    Result<Instance> i = Instance::Create(store, *module, {Extern(*m)});
    if (!i.ok()) return std::nullopt;
    return *i;
  };
  std::thread ponger([&] {
    Store<> store(engine);
    std::optional<Instance> i = instantiate(store);
    if (i.has_value()) (void)i->GetTypedFunc<void()>(store, "pong")->Call(store);
  });
  Store<> store(engine);
  std::optional<Instance> i = instantiate(store);
  if (!i.has_value()) {
    state.SkipWithError("instantiation failed");
    ponger.join();
    return;
  }
  auto ping = *i->GetTypedFunc<void()>(store, "ping");
  for (auto _ : state) {
    if (!ping.Call(store).ok()) {
      state.SkipWithError("ping trapped");
      break;
    }
  }
  (void)i->GetTypedFunc<void()>(store, "stop")->Call(store);
  ponger.join();
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_WaitNotifyRoundTrip)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace kiln
