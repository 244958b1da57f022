// Instantiation cost: Instance::Create + Initialize + destroy for a small
// module with one memory (with and without a copy-on-write image).
#include <string>

#include "benchmark/benchmark.h"
#include "runtime/vm/instance.h"

namespace kiln::runtime {
namespace {

wasm::ModuleInfo SmallModule(size_t data_bytes) {
  wasm::ModuleInfo m;
  m.bytes.assign(data_bytes, 7);
  m.types.push_back(wasm::FuncType{});
  for (int i = 0; i < 10; ++i) m.functions.push_back({0, false, 0, 0, 0});
  m.memories.push_back({wasm::MemoryType{{1, std::nullopt}}, false});
  m.tables.push_back({wasm::TableType{wasm::ValType::kFuncRef, {10, 10}}, false});
  wasm::Global g;
  g.type = {wasm::ValType::kI32, true};
  g.init = wasm::ConstExpr::I32(1);
  m.globals.push_back(g);
  if (data_bytes > 0) {
    wasm::DataSegment d;
    d.mode = wasm::SegmentMode::kActive;
    d.offset = wasm::ConstExpr::I32(1024);
    d.data_offset = 0;
    d.data_size = static_cast<uint32_t>(data_bytes);
    m.data_segments.push_back(d);
  }
  return m;
}

void Run(benchmark::State& state, size_t data_bytes, bool use_image) {
  wasm::ModuleInfo module = SmallModule(data_bytes);
  std::unique_ptr<MemoryImage> image;
  if (use_image) image = *MemoryImageOfModule(module);
  std::vector<const void*> code(10, nullptr);
  uint32_t type_ids[1] = {0};
  abi::VMRuntimeLimits limits;
  InstanceConfig config;
  config.module = &module;
  config.type_ids = type_ids;
  config.function_code = code;
  config.limits = &limits;
  const MemoryImage* images[] = {image.get()};
  config.memory_images = images;
  for (auto _ : state) {
    auto instance = Instance::Create(config);
    if (!instance.ok() || (*instance)->Initialize().has_value()) std::abort();
    benchmark::DoNotOptimize(instance);
  }
}

void BM_InstantiateNoData(benchmark::State& s) { Run(s, 0, false); }
void BM_Instantiate32KiBCopy(benchmark::State& s) { Run(s, 32 << 10, false); }
void BM_Instantiate32KiBImage(benchmark::State& s) { Run(s, 32 << 10, true); }
BENCHMARK(BM_InstantiateNoData);
BENCHMARK(BM_Instantiate32KiBCopy);
BENCHMARK(BM_Instantiate32KiBImage);

}  // namespace
}  // namespace kiln::runtime
