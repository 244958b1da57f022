// Backend throughput: lowering + register allocation + emission of a
// synthetic loop body with many interleaved integer and float values.
//
//   bazel run //codegen/isa/x64:compile_benchmark
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "codegen/ir/function.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/x64/lower.h"
#include "codegen/regalloc/regalloc.h"
#include "codegen/isa/x64/abi.h"

namespace kiln::isa::x64 {
namespace {

// A loop over `live` i32 values updated by `ops` random ALU operations per
// iteration, with heap loads/stores and some float work.
std::string MakeIr(int live, int ops, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string params, block_params, args0;
  int next = 3;
  std::string s = "function %bench(i64, i64, i64, i32) -> i32 {\nblock0(v0: i64, v1: i64, v2: i64, v3: i32):\n";
  std::vector<int> cur;
  for (int k = 0; k < live; ++k) {
    int v = ++next;
    absl::StrAppend(&s, "    v", v, " = iconst.i32 ", k * 7 + 1, "\n");
    cur.push_back(v);
  }
  absl::StrAppend(&s, "    jump block1(");
  for (int k = 0; k < live; ++k) absl::StrAppend(&s, k ? ", " : "", "v", cur[k]);
  absl::StrAppend(&s, ")\nblock1(");
  for (int k = 0; k < live; ++k) {
    cur[k] = ++next;
    absl::StrAppend(&s, k ? ", " : "", "v", cur[k], ": i32");
  }
  absl::StrAppend(&s, "):\n");
  const char* alu[] = {"iadd", "isub", "imul", "bxor", "band", "bor", "ishl"};
  for (int n = 0; n < ops; ++n) {
    int a = cur[rng() % live], b = cur[rng() % live];
    int d = ++next;
    if (n % 23 == 0) {
      absl::StrAppend(&s, "    v", d, " = heap_load.i32 v2, v", a, "+8\n");
    } else if (n % 31 == 0) {
      absl::StrAppend(&s, "    heap_store v", b, ", v2, v", a, "+0\n");
      continue;
    } else {
      absl::StrAppend(&s, "    v", d, " = ", alu[rng() % 7], " v", a, ", v", b, "\n");
    }
    cur[rng() % live] = d;
  }
  int c = ++next;
  absl::StrAppend(&s, "    v", c, " = icmp ult v", cur[0], ", v3\n    brif v", c, ", block1(");
  for (int k = 0; k < live; ++k) absl::StrAppend(&s, k ? ", " : "", "v", cur[k]);
  absl::StrAppend(&s, "), block2\nblock2:\n    return v", cur[1], "\n}\n");
  return s;
}

void BM_CompileFunction(benchmark::State& state) {
  const int live = static_cast<int>(state.range(0));
  const int ops = static_cast<int>(state.range(1));
  absl::StatusOr<ir::Function> f = ir::ParseFunction(MakeIr(live, ops, 1));
  if (!f.ok()) {
    state.SkipWithError(std::string(f.status().message()).c_str());
    return;
  }
  std::unique_ptr<Backend> backend = CreateX64Backend();
  CompileContext ctx;
  size_t code_bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<CompiledFunction> c = backend->Compile(*f, ctx);
    if (!c.ok()) {
      state.SkipWithError(std::string(c.status().message()).c_str());
      return;
    }
    code_bytes = c->code.size();
    benchmark::DoNotOptimize(c->code.data());
  }
  state.SetItemsProcessed(state.iterations() * f->num_insts());
  state.counters["code_bytes"] = static_cast<double>(code_bytes);
}
BENCHMARK(BM_CompileFunction)->Args({8, 200})->Args({16, 2000})->Args({64, 2000})->Args({200, 10000});

void BM_RegallocOnly(benchmark::State& state) {
  absl::StatusOr<ir::Function> f = ir::ParseFunction(MakeIr(16, 2000, 1));
  CompileContext ctx;
  absl::StatusOr<MachFunction> mf = Lower(*f, ctx);
  if (!mf.ok()) {
    state.SkipWithError("lowering failed");
    return;
  }
  uint32_t passes = 0, spilled = 0;
  for (auto _ : state) {
    absl::StatusOr<regalloc::Output> out = regalloc::Allocate(mf->vcode, MachineEnv());
    benchmark::DoNotOptimize(out.ok());
    passes = out->num_passes;
    spilled = out->num_spilled_vregs;
  }
  state.SetItemsProcessed(state.iterations() * mf->vcode.num_insts());
  state.counters["passes"] = passes;
  state.counters["spilled"] = spilled;
  state.counters["vregs"] = mf->vcode.num_vregs();
}
BENCHMARK(BM_RegallocOnly);

}  // namespace
}  // namespace kiln::isa::x64
