// WASI host calls from wasm: a wasm loop of bench::kBatch preview1 calls per
// iteration ("per_call" = CPU seconds per call), for a 32-bit guest and a
// memory64 (wasm64) guest. fd_prestat_get is a descriptor-table lookup and
// a 8/16-byte store with no system call, so it shows the cost of the glue
// (argument conversion, caller memory, the fd table); args_sizes_get does
// not touch the table; fd_write of 1 byte to /dev/null adds a syscall.
#include <fcntl.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "benchmark/benchmark.h"
#include "benchmarks/host_call_module.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/add_to_linker.h"
#include "wasi/wasi_ctx.h"

namespace kiln {
namespace {

using bench::kBatch;
using bench::SetPerCall;

// `P` is the pointer type (i32 or i64): loops calling each function.
std::string Wat(const std::string& p) {
  return R"((module
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $prestat (param i32 )" + p + R"() (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args (param )" + p + " " + p + R"() (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $write (param i32 )" + p + " " + p + " " + p + R"() (result i32)))
  (memory (export "memory") )" + p + R"( 1)
  (data ()" + p + R"(.const 0) "x")
  (func (export "prestat") (param $n i32)
    (loop $l
      (drop (call $prestat (i32.const 3) ()" + p + R"(.const 64)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "args") (param $n i32)
    (loop $l
      (drop (call $args ()" + p + R"(.const 64) ()" + p + R"(.const 72)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func (export "write") (param $n i32)
    ;; One ciovec at 128: {buf 0 ("x"), len 1}, fields of the pointer width.
    ()" + p + R"(.store ()" + p + R"(.const 128) ()" + p + R"(.const 0))
    ()" + p + R"(.store ()" + p + ".const " + (p == "i64" ? "136" : "132") +
         R"() ()" + p + R"(.const 1))
    (loop $l
      (drop (call $write (i32.const 1) ()" + p + R"(.const 128) ()" + p +
         R"(.const 1) ()" + p + R"(.const 96)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))
)";
}

struct Setup {
  explicit Setup(bool wasm64) : store(engine), linker(engine) {
    ctx.set_args({"bench", "a"});
    if (!ctx.PreopenDir("/tmp", "tmp").ok()) std::abort();  // fd 3
    const int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0 || !ctx.SetStdio(1, null_fd, true).ok()) std::abort();
    module = *Module::FromWat(engine, Wat(wasm64 ? "i64" : "i32"));
    if (!wasi::AddToLinker(linker, &ctx, wasi::WasiAbi(module->info())).ok()) {
      std::abort();
    }
    instance = *linker.Instantiate(store, *module);
  }
  wasi::WasiCtx ctx;
  Engine engine;
  Store<> store;
  Linker<> linker;
  std::optional<Module> module;
  std::optional<Instance> instance;
};

void Run(benchmark::State& state, bool wasm64, const char* name) {
  Setup s(wasm64);
  auto run = *s.instance->GetTypedFunc<void(int32_t)>(s.store, name);
  for (auto _ : state) {
    Result<void> r = run.Call(s.store, kBatch);
    if (!r.ok()) state.SkipWithError("trap");
  }
  SetPerCall(state, kBatch);
}

void BM_Wasi32_PrestatGet(benchmark::State& s) { Run(s, false, "prestat"); }
void BM_Wasi64_PrestatGet(benchmark::State& s) { Run(s, true, "prestat"); }
void BM_Wasi32_ArgsSizesGet(benchmark::State& s) { Run(s, false, "args"); }
void BM_Wasi64_ArgsSizesGet(benchmark::State& s) { Run(s, true, "args"); }
void BM_Wasi32_FdWriteDevNull(benchmark::State& s) { Run(s, false, "write"); }
void BM_Wasi64_FdWriteDevNull(benchmark::State& s) { Run(s, true, "write"); }
BENCHMARK(BM_Wasi32_PrestatGet);
BENCHMARK(BM_Wasi64_PrestatGet);
BENCHMARK(BM_Wasi32_ArgsSizesGet);
BENCHMARK(BM_Wasi64_ArgsSizesGet);
BENCHMARK(BM_Wasi32_FdWriteDevNull);
BENCHMARK(BM_Wasi64_FdWriteDevNull);

}  // namespace
}  // namespace kiln
