// The C API's call costs (capi/), in //benchmarks:host_call beside the C++
// API's: BM_CApi_WasmToHost (a wasm_func_new callback called from a wasm
// loop, kBatch calls per iteration, as BM_WasmToHost_FuncNew) and
// BM_CApi_HostToWasm (wasm_func_call of a one-argument nop, as
// BM_HostToWasm_Call), on the module host_call.cc uses.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "benchmark/benchmark.h"
#include "benchmarks/host_call_module.h"
#include "capi/include/kiln_c.h"
#include "capi/include/wasm.h"

namespace {

using kiln::bench::kBatch;
using kiln::bench::kHostCallWat;
using kiln::bench::SetPerCall;

wasm_trap_t* Nop(const wasm_val_vec_t* args, wasm_val_vec_t*) {
  benchmark::DoNotOptimize(args->data[0].of.i32);
  return nullptr;
}

// An engine, a store and the instance with its two exports.
struct CSetup {
  CSetup() {
    engine = wasm_engine_new();
    store = wasm_store_new(engine);
    wasm_byte_vec_t binary;
    if (kiln_wat2wasm(kHostCallWat, std::strlen(kHostCallWat), &binary) != nullptr) std::abort();
    module = wasm_module_new(store, &binary);
    wasm_byte_vec_delete(&binary);
    wasm_functype_t* type = wasm_functype_new_1_0(wasm_valtype_new_i32());
    host = wasm_func_new(store, type, Nop);
    wasm_functype_delete(type);
    wasm_extern_t* externs[] = {wasm_func_as_extern(host)};
    wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
    instance = wasm_instance_new(store, module, &imports, nullptr);
    if (instance == nullptr) std::abort();
    wasm_instance_exports(instance, &exports);
  }
  ~CSetup() {
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_func_delete(host);
    wasm_module_delete(module);
    wasm_store_delete(store);
    wasm_engine_delete(engine);
  }
  wasm_engine_t* engine;
  wasm_store_t* store;
  wasm_module_t* module;
  wasm_func_t* host;
  wasm_instance_t* instance;
  wasm_extern_vec_t exports;
};

void BM_CApi_WasmToHost(benchmark::State& state) {
  CSetup s;
  const wasm_func_t* run = wasm_extern_as_func(s.exports.data[0]);
  wasm_val_t args_arr[1] = {WASM_I32_VAL(kBatch)};
  wasm_val_vec_t args = WASM_ARRAY_VEC(args_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  for (auto _ : state) {
    wasm_trap_t* trap = wasm_func_call(run, &args, &none);
    if (trap != nullptr) {
      wasm_trap_delete(trap);
      state.SkipWithError("trap");
    }
  }
  SetPerCall(state, kBatch);
}
BENCHMARK(BM_CApi_WasmToHost);

void BM_CApi_HostToWasm(benchmark::State& state) {
  CSetup s;
  const wasm_func_t* nop = wasm_extern_as_func(s.exports.data[1]);
  wasm_val_t args_arr[1] = {WASM_I32_VAL(1)};
  wasm_val_t results_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(args_arr);
  wasm_val_vec_t results = WASM_ARRAY_VEC(results_arr);
  for (auto _ : state) {
    wasm_trap_t* trap = wasm_func_call(nop, &args, &results);
    benchmark::DoNotOptimize(trap);
  }
  SetPerCall(state, 1);
}
BENCHMARK(BM_CApi_HostToWasm);

}  // namespace
