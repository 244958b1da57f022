// Call and instantiation costs of the embedding API.
#include "benchmark/benchmark.h"
#include "engine/kiln.h"

namespace kiln {
namespace {

constexpr const char* kWat = R"(
  (module
    (import "env" "host" (func $host (param i32) (result i32)))
    (memory 1)
    (data (i32.const 0) "hello")
    (func (export "nop"))
    (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))
    (func (export "call_host") (param i32) (result i32)
      (local $i i32) (local $acc i32)
      (loop $l
        (local.set $acc (i32.add (local.get $acc) (call $host (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
      (local.get $acc)))
)";

struct Fixture {
  Engine engine;
  Store<> store{engine};
  Module module = *Module::FromWat(engine, kWat);
  Func host = *Func::New(store, FuncType{{ValType::kI32}, {ValType::kI32}},
                         [](Caller<>&, absl::Span<const Val> p,
                            absl::Span<Val> r) -> std::optional<Trap> {
                           r[0] = p[0];
                           return std::nullopt;
                         });
  Instance instance = *Instance::Create(store, module, {Extern(host)});
};

void BM_TypedCallNop(benchmark::State& state) {
  Fixture f;
  auto nop = *f.instance.GetTypedFunc<void()>(f.store, "nop");
  for (auto _ : state) benchmark::DoNotOptimize(nop.Call(f.store).ok());
}
BENCHMARK(BM_TypedCallNop);

void BM_TypedCallAdd(benchmark::State& state) {
  Fixture f;
  auto add = *f.instance.GetTypedFunc<int32_t(int32_t, int32_t)>(f.store, "add");
  for (auto _ : state) benchmark::DoNotOptimize(*add.Call(f.store, 1, 2));
}
BENCHMARK(BM_TypedCallAdd);

void BM_UntypedCallAdd(benchmark::State& state) {
  Fixture f;
  Func add = *f.instance.GetFunc(f.store, "add");
  Val params[2] = {Val::I32(1), Val::I32(2)};
  Val results[1];
  for (auto _ : state) {
    benchmark::DoNotOptimize(add.Call(f.store, params, results).ok());
  }
}
BENCHMARK(BM_UntypedCallAdd);

// Per wasm -> host call (the loop makes state.range(0) calls).
void BM_WasmToHost(benchmark::State& state) {
  Fixture f;
  auto call_host = *f.instance.GetTypedFunc<int32_t(int32_t)>(f.store, "call_host");
  for (auto _ : state) {
    benchmark::DoNotOptimize(*call_host.Call(f.store, 1000));
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_WasmToHost);

void BM_Instantiate(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        Instance::Create(f.store, f.module, {Extern(f.host)}).ok());
  }
}
BENCHMARK(BM_Instantiate)->Iterations(2000);

}  // namespace
}  // namespace kiln
