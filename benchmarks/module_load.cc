// Time to get a loaded (instantiable, callable) module: compiling a .wasm
// (Module::FromBinary) vs loading the precompiled artifact
// (Module::Deserialize from memory, Module::DeserializeFile with the code
// mapped in place), and the parts of loading (artifact checks, decoding the
// embedded module without validating bodies).
//
//   bazel run -c opt //benchmarks:module_load
//   KILN_BENCH_WASM=/path/x.wasm bazel run -c opt //benchmarks:module_load
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/kiln.h"
#include "engine/serialize.h"
#include "wasm/decoder.h"

namespace kiln {
namespace {

std::string ModulePath() {
  const char* env = std::getenv("KILN_BENCH_WASM");
  return env != nullptr ? env : "benchmarks/libc_all.wasm";
}

struct Fixture {
  Engine engine;
  std::vector<uint8_t> wasm;
  std::vector<uint8_t> artifact;
  std::string artifact_path;

  Fixture() {
    const std::string path = ModulePath();
    std::ifstream in(path, std::ios::binary);
    wasm.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
    if (wasm.empty()) {
      std::fprintf(stderr, "module_load: cannot read %s\n", path.c_str());
      std::exit(1);
    }
    absl::StatusOr<Module> module = Module::FromBinary(engine, wasm);
    if (!module.ok()) {
      std::fprintf(stderr, "module_load: %s: %s\n", path.c_str(),
                   std::string(module.status().message()).c_str());
      std::exit(1);
    }
    artifact = *module->Serialize();
    const char* tmp = std::getenv("TEST_TMPDIR");
    artifact_path = std::string(tmp ? tmp : "/tmp") + "/module_load_bench.cwasm";
    std::ofstream out(artifact_path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(artifact.data()),
              static_cast<std::streamsize>(artifact.size()));
    std::fprintf(stderr,
                 "module_load: %s: %zu bytes of wasm, %zu defined functions, "
                 "%zu-byte artifact\n",
                 path.c_str(), wasm.size(),
                 module->info().functions.size() -
                     module->info().num_imported_functions,
                 artifact.size());
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_ModuleCompile(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    absl::StatusOr<Module> m = Module::FromBinary(f.engine, f.wasm);
    if (!m.ok()) state.SkipWithError("compile failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * f.wasm.size());
}
BENCHMARK(BM_ModuleCompile)->Unit(benchmark::kMillisecond);

void BM_ModuleDeserialize(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    absl::StatusOr<Module> m = Module::Deserialize(f.engine, f.artifact);
    if (!m.ok()) state.SkipWithError("deserialize failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * f.artifact.size());
}
BENCHMARK(BM_ModuleDeserialize)->Unit(benchmark::kMicrosecond);

void BM_ModuleDeserializeFile(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    absl::StatusOr<Module> m =
        Module::DeserializeFile(f.engine, f.artifact_path);
    if (!m.ok()) state.SkipWithError("deserialize file failed");
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(state.iterations() * f.artifact.size());
}
BENCHMARK(BM_ModuleDeserializeFile)->Unit(benchmark::kMicrosecond);

// Parts of loading.
void BM_ArtifactParseAndChecksum(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    auto view = serialize::ParseArtifact(f.artifact);
    benchmark::DoNotOptimize(view);
  }
  state.SetBytesProcessed(state.iterations() * f.artifact.size());
}
BENCHMARK(BM_ArtifactParseAndChecksum)->Unit(benchmark::kMicrosecond);

void BM_ArtifactParseNoChecksum(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    auto view = serialize::ParseArtifact(f.artifact, /*verify_checksums=*/false);
    benchmark::DoNotOptimize(view);
  }
}
BENCHMARK(BM_ArtifactParseNoChecksum)->Unit(benchmark::kMicrosecond);

void BM_DecodeWithoutBodyValidation(benchmark::State& state) {
  Fixture& f = F();
  wasm::DecodeOptions options;
  options.validate_function_bodies = false;
  for (auto _ : state) {
    auto info = wasm::DecodeModule(f.wasm, options);
    benchmark::DoNotOptimize(info);
  }
  state.SetBytesProcessed(state.iterations() * f.wasm.size());
}
BENCHMARK(BM_DecodeWithoutBodyValidation)->Unit(benchmark::kMicrosecond);

// Loading plus instantiating (imports satisfied with host functions that
// trap if called; the benchmark never calls them) and
// looking up an export: the module is callable at the end.
void InstantiateAll(const Engine& engine, const Module& m,
                    benchmark::State& state) {
  Store<> store(engine);
  std::vector<Extern> imports;
  for (const wasm::Import& i : m.info().imports) {
    if (i.kind != wasm::ExternKind::kFunction) {
      state.SkipWithError("non-function import");
      return;
    }
    const wasm::FuncType& t = m.info().types[i.func_type_index];
    auto f = Func::New(store, FuncType(t.params, t.results),
                       [](Caller<>&, absl::Span<const Val>,
                          absl::Span<Val>) -> std::optional<Trap> {
                         return Trap::Host(
                             "module_load: import not meant to be called");
                       });
    imports.push_back(Extern(*f));
  }
  Result<Instance> inst = Instance::Create(store, m, imports);
  if (!inst.ok()) {
    state.SkipWithError("instantiate failed");
    return;
  }
  benchmark::DoNotOptimize(inst->GetFunc(store, "_start"));
}

void BM_CallableFromWasm(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    absl::StatusOr<Module> m = Module::FromBinary(f.engine, f.wasm);
    InstantiateAll(f.engine, *m, state);
  }
}
BENCHMARK(BM_CallableFromWasm)->Unit(benchmark::kMillisecond);

void BM_CallableFromCwasmFile(benchmark::State& state) {
  Fixture& f = F();
  for (auto _ : state) {
    absl::StatusOr<Module> m =
        Module::DeserializeFile(f.engine, f.artifact_path);
    InstantiateAll(f.engine, *m, state);
  }
}
BENCHMARK(BM_CallableFromCwasmFile)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace kiln
