// Instantiation (issue 6, "serving"): per iteration a fresh Store,
// InstancePre::Instantiate, one call of the export "run", and the drop of
// the store, for
//   Empty: one function, nothing else;
//   Small: one memory with a 64 KiB data segment, a table of 100 funcrefs
//          (an active element segment), 20 functions;
//   Large: 16 MiB of data segments, 10,000 functions, a 10,000-entry table,
// with the pooling allocator and on demand, sequentially and on two
// threads (one Engine / Module / InstancePre shared by both; real time in
// both, so items_per_second of 1 and 2 threads compare: the 2-thread one
// is the total of both threads). "run" makes
// one call_indirect through the table (a lazily initialised entry).
//
// BM_ScalingReference (1 and 2 threads) measures, in the same run, how much
// a second thread of pure arithmetic gains on this machine: the ceiling the
// 2-thread instantiation ratios compare with on a shared host. It is a
// multiply chain, which a busy sibling hyperthread hardly slows: when the
// host's vCPUs differ in speed, scripts/bench-scaling.sh measures the
// one-thread rate on each CPU and two one-thread processes side by side.
//
// Also: building a Linker with 50 host functions, and the older
// InstancePre / Linker instantiation of a module with host imports.
//
//   bazel build -c opt //benchmarks:instantiate
//   bazel-bin/benchmarks/instantiate --benchmark_filter=BM_Instantiate
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   (one command)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "benchmark/benchmark.h"
#include "engine/kiln.h"
#include "linker/linker.h"

namespace kiln {
namespace {

// --- A minimal wasm binary writer (the large module is too big to go
// through the text format comfortably).

void Leb(std::vector<uint8_t>& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(b);
  } while (v != 0);
}

void SLeb(std::vector<uint8_t>& out, int64_t v) {
  for (;;) {
    const uint8_t b = v & 0x7f;
    v >>= 7;
    if ((v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0)) {
      out.push_back(b);
      return;
    }
    out.push_back(b | 0x80);
  }
}

void Section(std::vector<uint8_t>& out, uint8_t id,
             const std::vector<uint8_t>& body) {
  out.push_back(id);
  Leb(out, body.size());
  out.insert(out.end(), body.begin(), body.end());
}

struct ModuleSpec {
  uint32_t functions = 1;        // besides "run"
  uint32_t table_size = 0;       // 0: no table
  uint32_t memory_pages = 0;     // 0: no memory
  uint32_t data_segments = 0;    // each data_segment_bytes, back to back
  uint32_t data_segment_bytes = 0;
};

// Type 0: (i32) -> i32. Functions 0..n-1 return x + k; function n is "run":
// call_indirect (type 0) (x, table[x]) when there is a table, else x.
std::vector<uint8_t> BuildModule(const ModuleSpec& spec) {
  std::vector<uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  std::vector<uint8_t> s;
  // Type section.
  s = {0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f};
  Section(out, 1, s);
  // Function section.
  s.clear();
  Leb(s, spec.functions + 1);
  for (uint32_t i = 0; i <= spec.functions; ++i) s.push_back(0x00);
  Section(out, 3, s);
  if (spec.table_size > 0) {
    s.clear();
    s = {0x01, 0x70, 0x01};  // one funcref table, min = max
    Leb(s, spec.table_size);
    Leb(s, spec.table_size);
    Section(out, 4, s);
  }
  if (spec.memory_pages > 0) {
    s = {0x01, 0x00};
    Leb(s, spec.memory_pages);
    Section(out, 5, s);
  }
  // Export section: "run".
  s = {0x01, 0x03, 'r', 'u', 'n', 0x00};
  Leb(s, spec.functions);
  Section(out, 7, s);
  if (spec.table_size > 0) {  // elem: table[i] = function i % functions
    s = {0x01, 0x00, 0x41, 0x00, 0x0b};
    Leb(s, spec.table_size);
    for (uint32_t i = 0; i < spec.table_size; ++i) Leb(s, i % spec.functions);
    Section(out, 9, s);
  }
  // Code section.
  s.clear();
  Leb(s, spec.functions + 1);
  for (uint32_t i = 0; i < spec.functions; ++i) {
    std::vector<uint8_t> body = {0x00, 0x20, 0x00, 0x41};  // local.get 0
    SLeb(body, i);                                       // i32.const i
    body.push_back(0x6a);                                // i32.add
    body.push_back(0x0b);
    Leb(s, body.size());
    s.insert(s.end(), body.begin(), body.end());
  }
  {
    std::vector<uint8_t> body = {0x00, 0x20, 0x00};
    if (spec.table_size > 0) {
      body.insert(body.end(), {0x20, 0x00, 0x11, 0x00, 0x00});  // call_indirect
    }
    body.push_back(0x0b);
    Leb(s, body.size());
    s.insert(s.end(), body.begin(), body.end());
  }
  Section(out, 10, s);
  if (spec.data_segments > 0) {
    s.clear();
    Leb(s, spec.data_segments);
    uint32_t seed = 12345;
    for (uint32_t k = 0; k < spec.data_segments; ++k) {
      s.insert(s.end(), {0x00, 0x41});
      SLeb(s, static_cast<int32_t>(k * spec.data_segment_bytes));
      s.push_back(0x0b);
      Leb(s, spec.data_segment_bytes);
      for (uint32_t b = 0; b < spec.data_segment_bytes; ++b) {
        seed = seed * 1103515245 + 12345;
        s.push_back(static_cast<uint8_t>(seed >> 16) | 1);  // never zero
      }
    }
    Section(out, 11, s);
  }
  return out;
}

Config MakeConfig(bool pooling) {
  Config config;
  if (pooling) {
    config.allocation_strategy = InstanceAllocationStrategy::kPooling;
    config.pooling.total_instances = 256;
    // Fewer slots for valgrind (it cannot reserve 256 x 6 GiB).
    if (const char* slots = std::getenv("KILN_BENCH_POOL_SLOTS")) {
      config.pooling.total_instances = std::atoi(slots);
    }
    config.pooling.max_memory_size = uint64_t{32} << 20;
    config.pooling.max_table_elements = 10'000;
  }
  return config;
}

struct Fixture {
  Fixture(const ModuleSpec& spec, bool pooling)
      : engine(MakeConfig(pooling)), linker(engine) {
    absl::StatusOr<Module> m = Module::FromBinary(engine, BuildModule(spec));
    if (!m.ok()) {
      std::fprintf(stderr, "module: %s\n", m.status().ToString().c_str());
      std::abort();
    }
    module.emplace(*std::move(m));
    Store<> store(engine);
    absl::StatusOr<InstancePre<>> p = linker.InstantiatePre(store, *module);
    if (!p.ok()) std::abort();
    pre.emplace(*std::move(p));
  }
  Engine engine;
  Linker<> linker;
  std::optional<Module> module;
  std::optional<InstancePre<>> pre;
};

ModuleSpec EmptySpec() { return ModuleSpec{}; }
ModuleSpec SmallSpec() {
  ModuleSpec s;
  s.functions = 20;
  s.table_size = 100;
  s.memory_pages = 1;
  s.data_segments = 1;
  s.data_segment_bytes = 64 * 1024;
  return s;
}
ModuleSpec LargeSpec() {
  ModuleSpec s;
  s.functions = 10'000;
  s.table_size = 10'000;
  s.memory_pages = 257;  // 16 MiB of data plus a page of heap
  s.data_segments = 16;
  s.data_segment_bytes = 1 << 20;
  return s;
}

// Built once per process on first use (the large module takes a while to
// compile), shared by the benchmark's threads.
Fixture& GetFixture(int which, bool pooling) {
  static Fixture* fixtures[3][2] = {};
  static absl::Mutex mu;
  absl::MutexLock lock(&mu);
  Fixture*& f = fixtures[which][pooling ? 1 : 0];
  if (f == nullptr) {
    const ModuleSpec spec =
        which == 0 ? EmptySpec() : which == 1 ? SmallSpec() : LargeSpec();
    f = new Fixture(spec, pooling);
  }
  return *f;
}

void RunInstantiate(benchmark::State& state, int which, bool pooling) {
  Fixture& f = GetFixture(which, pooling);
  for (auto _ : state) {
    Store<> store(f.engine);
    Result<Instance> inst = f.pre->Instantiate(store);
    if (!inst.ok()) {
      state.SkipWithError(inst.status().ToString().c_str());
      break;
    }
    absl::StatusOr<TypedFunc<int32_t(int32_t)>> run =
        inst->GetTypedFunc<int32_t(int32_t)>(store, "run");
    if (!run.ok()) {
      state.SkipWithError(run.status().ToString().c_str());
      break;
    }
    Result<int32_t> r = run->Call(store, 7);
    if (!r.ok()) {
      state.SkipWithError("run failed");
      break;
    }
    benchmark::DoNotOptimize(*r);
  }
  // items_per_second: with threads, the total over the threads.
  state.SetItemsProcessed(state.iterations());
}

void BM_InstantiateEmpty_Pooling(benchmark::State& state) {
  RunInstantiate(state, 0, true);
}
void BM_InstantiateSmall_Pooling(benchmark::State& state) {
  RunInstantiate(state, 1, true);
}
void BM_InstantiateSmall_OnDemand(benchmark::State& state) {
  RunInstantiate(state, 1, false);
}
void BM_InstantiateLarge_Pooling(benchmark::State& state) {
  RunInstantiate(state, 2, true);
}
void BM_InstantiateLarge_OnDemand(benchmark::State& state) {
  RunInstantiate(state, 2, false);
}
BENCHMARK(BM_InstantiateEmpty_Pooling)->UseRealTime();
BENCHMARK(BM_InstantiateEmpty_Pooling)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateSmall_Pooling)->UseRealTime();
BENCHMARK(BM_InstantiateSmall_Pooling)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateSmall_OnDemand)->UseRealTime();
BENCHMARK(BM_InstantiateSmall_OnDemand)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateLarge_Pooling)->UseRealTime();
BENCHMARK(BM_InstantiateLarge_Pooling)->Threads(2)->UseRealTime();
BENCHMARK(BM_InstantiateLarge_OnDemand)->UseRealTime();
BENCHMARK(BM_InstantiateLarge_OnDemand)->Threads(2)->UseRealTime();

// What the machine itself gives a second thread, measured in the same run:
// a fixed chain of arithmetic per iteration (about as long as one pooled
// instantiation), no memory, nothing shared. On a host that runs the
// second vCPU only part of the time its 2-thread total falls below 2x as
// well; the BM_Instantiate* 2-thread ratios read against this one.
void BM_ScalingReference(benchmark::State& state) {
  uint64_t x = static_cast<uint64_t>(state.thread_index()) + 1;
  for (auto _ : state) {
    for (int i = 0; i < 256; ++i) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
    }
    benchmark::DoNotOptimize(x);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScalingReference)->UseRealTime();
BENCHMARK(BM_ScalingReference)->Threads(2)->UseRealTime();

// --- Linker construction and instantiation with host imports.

constexpr int kHostFuncs = 50;

constexpr const char* kWat = R"(
  (module
    (import "env" "f0" (func $f0 (param i32) (result i32)))
    (import "env" "f1" (func $f1 (param i32) (result i32)))
    (import "env" "f2" (func $f2 (param i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello, instantiation")
    (table 10 funcref)
    (elem (i32.const 0) $a $b $c $d $e $f $g $h $i $j)
    (func $a (export "a") (param i32) (result i32) (call $f0 (local.get 0)))
    (func $b (export "b") (param i32) (result i32) (call $f1 (local.get 0)))
    (func $c (export "c") (param i32) (result i32) (call $f2 (local.get 0)))
    (func $d (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $e (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))
    (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
    (func $g (param i32) (result i32) (i32.add (local.get 0) (i32.const 4)))
    (func $h (param i32) (result i32) (i32.add (local.get 0) (i32.const 5)))
    (func $i (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func $j (export "j") (param i32) (result i32)
      (call_indirect (param i32) (result i32) (local.get 0) (local.get 0))))
)";

Linker<> BuildLinker(const Engine& engine) {
  Linker<> linker(engine);
  for (int k = 0; k < kHostFuncs; ++k) {
    absl::Status s = linker.FuncWrap("env", absl::StrCat("f", k),
                                     [k](int32_t x) { return x + k; });
    if (!s.ok()) std::abort();
  }
  return linker;
}

void BM_LinkerBuild50HostFuncs(benchmark::State& state) {
  Engine engine;
  for (auto _ : state) {
    Linker<> linker = BuildLinker(engine);
    benchmark::DoNotOptimize(linker.size());
  }
}
BENCHMARK(BM_LinkerBuild50HostFuncs);

struct Shared {
  Shared() : linker(BuildLinker(engine)) {
    module = *Module::FromWat(engine, kWat);
    Store<> store(engine);
    pre.emplace(*linker.InstantiatePre(store, *module));
  }
  Engine engine;
  Linker<> linker;
  std::optional<Module> module;
  std::optional<InstancePre<>> pre;
};

Shared& GetShared() {
  static Shared* shared = new Shared();
  return *shared;
}

// A fresh store per instantiation, host imports materialized per store.
void BM_InstancePreInstantiate(benchmark::State& state) {
  Shared& s = GetShared();
  for (auto _ : state) {
    Store<> store(s.engine);
    Result<Instance> inst = s.pre->Instantiate(store);
    if (!inst.ok()) state.SkipWithError("instantiate failed");
    benchmark::DoNotOptimize(inst.ok());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InstancePreInstantiate);
BENCHMARK(BM_InstancePreInstantiate)->Threads(2)->UseRealTime();

// Linker::Instantiate (resolution + type checks each time).
void BM_LinkerInstantiate(benchmark::State& state) {
  Shared& s = GetShared();
  for (auto _ : state) {
    Store<> store(s.engine);
    Result<Instance> inst = s.linker.Instantiate(store, *s.module);
    if (!inst.ok()) state.SkipWithError("instantiate failed");
    benchmark::DoNotOptimize(inst.ok());
  }
}
BENCHMARK(BM_LinkerInstantiate);

}  // namespace
}  // namespace kiln
