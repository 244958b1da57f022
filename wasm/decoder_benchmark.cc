// Decode + validate throughput on a synthetic module (many functions with
// arithmetic, locals, blocks, branches and ifs).
#include <cstdint>
#include <vector>

#include "benchmark/benchmark.h"
#include "wasm/decoder.h"
#include "wasm/test_util.h"

namespace kiln::wasm {
namespace {

using namespace ::kiln::wasm::testing;  // NOLINT

Bytes MakeModule(int num_functions, size_t body_size) {
  const Bytes unit = {0x20, 0, 0x41, 1, 0x6a, 0x21, 0,          // x += 1
                      0x02, 0x40, 0x20, 1, 0x0d, 0,             // block br_if
                      0x20, 0, 0x20, 1, 0x6c, 0x21, 1, 0x0b,    // y = x*y
                      0x20, 0, 0x45, 0x04, 0x40, 0x0b};         // if
  Bytes code;
  while (code.size() < body_size) code.insert(code.end(), unit.begin(), unit.end());
  code.push_back(0x0b);
  Bytes body = Body({0x01, 0x02, kI32}, code);
  Bytes funcs = Leb(num_functions);
  Bytes bodies = Leb(num_functions);
  for (int i = 0; i < num_functions; ++i) {
    funcs.push_back(0);
    bodies.insert(bodies.end(), body.begin(), body.end());
  }
  return Cat({Header(), Section(1, Vec({FuncTypeBytes({}, {})})),
              Section(3, funcs), Section(10, bodies)});
}

void BM_DecodeModule(benchmark::State& state) {
  Bytes m = MakeModule(static_cast<int>(state.range(0)),
                       static_cast<size_t>(state.range(1)));
  for (auto _ : state) {
    auto r = DecodeModule(m);
    benchmark::DoNotOptimize(r);
    if (!r.ok()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(m.size()));
}
BENCHMARK(BM_DecodeModule)->Args({1000, 100})->Args({100, 10000});

}  // namespace
}  // namespace kiln::wasm
