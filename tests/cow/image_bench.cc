// Where the cost of a memory image goes, for a module with 16 MiB of data
// segments (256 x 64 KiB): compiling (no image: it is lazy), building the
// image, instantiating with it, instantiating by copying
// (memory_init_cow off), and loading a .cwasm from a file (image mapped
// from the file) or from bytes (image built on first instantiation).
//   bazel run -c opt //tests/cow:image_bench
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kiln.h"

namespace kiln {
namespace {

using Clock = std::chrono::steady_clock;

double Us(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

std::vector<uint8_t> BigModule() {
  std::string wat = "(module (memory (export \"mem\") 260)\n";
  for (int i = 0; i < 256; ++i) {
    std::string bytes;
    for (int k = 0; k < 64; ++k) absl::StrAppend(&bytes, "\\", (i + k) % 10, (k % 6));
    // 64 KiB per segment: the 128-byte pattern repeated.
    std::string seg;
    for (int r = 0; r < 65536 / 64; ++r) seg += bytes;
    absl::StrAppend(&wat, "(data (i32.const ", i * 65536, ") \"", seg, "\")\n");
  }
  wat += "(func (export \"f\") (result i32) (i32.load8_u (i32.const 70000))))";
  absl::StatusOr<std::vector<uint8_t>> bin = Module::WatToBinary(wat);
  if (!bin.ok()) {
    std::fprintf(stderr, "%s\n", bin.status().ToString().c_str());
    std::exit(1);
  }
  return *bin;
}

// Median-free simple mean of `n` instantiate + call + drop.
double Instantiate(const Engine& engine, const Module& m, int n) {
  const auto a = Clock::now();
  for (int i = 0; i < n; ++i) {
    Store<> store(engine);
    Result<Instance> inst = Instance::Create(store, m, {});
    if (!inst.ok()) {
      std::fprintf(stderr, "%s\n", inst.status().ToString().c_str());
      std::exit(1);
    }
    auto f = inst->GetTypedFunc<int32_t()>(store, "f");
    if (!f.ok() || !f->Call(store).ok()) std::exit(1);
  }
  return Us(a, Clock::now()) / n;
}

int Main() {
  const std::vector<uint8_t> wasm = BigModule();
  Engine engine;
  auto t0 = Clock::now();
  Module m = *Module::FromBinary(engine, wasm);
  auto t1 = Clock::now();
  if (!m.InitializeCopyOnWriteImage().ok()) return 1;
  auto t2 = Clock::now();
  std::printf("module: %zu bytes of wasm, 16 MiB of data\n", wasm.size());
  std::printf("FromBinary (no image built)         %10.0f us\n", Us(t0, t1));
  std::printf("InitializeCopyOnWriteImage          %10.0f us\n", Us(t1, t2));
  std::printf("instantiate+call+drop, image        %10.1f us\n",
              Instantiate(engine, m, 200));

  Config copy_config;
  copy_config.memory_init_cow = false;
  Engine copy_engine(copy_config);
  Module copy = *Module::FromBinary(copy_engine, wasm);
  std::printf("instantiate+call+drop, copying      %10.1f us\n",
              Instantiate(copy_engine, copy, 20));

  const std::vector<uint8_t> artifact = *m.Serialize();
  const std::string path = absl::StrCat("/tmp/kiln-image-bench-", getpid(), ".cwasm");
  {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(artifact.data()), artifact.size());
  }
  auto t3 = Clock::now();
  Module from_file = *Module::DeserializeFile(engine, path);
  auto t4 = Clock::now();
  const double first_file = Instantiate(engine, from_file, 1);
  auto t5 = Clock::now();
  Module from_bytes = *Module::Deserialize(engine, artifact);
  auto t6 = Clock::now();
  const double first_bytes = Instantiate(engine, from_bytes, 1);
  std::printf(".cwasm: %zu bytes\n", artifact.size());
  std::printf("DeserializeFile (image in the file) %10.0f us, first instance %8.0f us\n",
              Us(t3, t4), first_file);
  std::printf("Deserialize bytes (image built)     %10.0f us, first instance %8.0f us\n",
              Us(t5, t6), first_bytes);
  std::printf("instantiate+call+drop, file image   %10.1f us\n",
              Instantiate(engine, from_file, 200));
  unlink(path.c_str());
  return 0;
}

}  // namespace
}  // namespace kiln

int main() { return kiln::Main(); }
