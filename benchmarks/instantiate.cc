// Instantiation through a Linker: building a Linker with 50 host functions,
// and InstancePre::Instantiate of a small module (one memory with a data
// segment, a table, ten functions) into a fresh store, sequentially and on
// two threads at once (one Linker / InstancePre shared by both).
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "engine/kiln.h"
#include "linker/linker.h"

namespace kiln {
namespace {

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

// A fresh store per instantiation (the serving pattern): store creation,
// InstancePre::Instantiate, and the store's destruction.
void BM_InstancePreInstantiate(benchmark::State& state) {
  Shared& s = GetShared();
  for (auto _ : state) {
    Store<> store(s.engine);
    Result<Instance> inst = s.pre->Instantiate(store);
    if (!inst.ok()) state.SkipWithError("instantiate failed");
    benchmark::DoNotOptimize(inst.ok());
  }
}
BENCHMARK(BM_InstancePreInstantiate);
BENCHMARK(BM_InstancePreInstantiate)->Threads(2)->UseRealTime();

// Many instances in one store: InstancePre::Instantiate alone.
void BM_InstancePreInstantiateSameStore(benchmark::State& state) {
  Shared& s = GetShared();
  Store<> store(s.engine);
  for (auto _ : state) {
    Result<Instance> inst = s.pre->Instantiate(store);
    if (!inst.ok()) state.SkipWithError("instantiate failed");
    benchmark::DoNotOptimize(inst.ok());
  }
}
BENCHMARK(BM_InstancePreInstantiateSameStore)->Iterations(20000);

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
