// Runs a fuzz target over pseudo-random inputs from a fixed seed, built
// with the default toolchain (no libFuzzer), for targets whose inputs are
// programs rather than file formats (wasi_fuzzer): `bazel test //...`
// keeps them compiling and checks their invariants on every change.
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main() {
  std::mt19937 rng(14);
  constexpr int kRuns = 3000;
  for (int run = 0; run < kRuns; ++run) {
    std::vector<uint8_t> input(rng() % 512);
    for (uint8_t& b : input) b = static_cast<uint8_t>(rng());
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("fuzz smoke test: %d inputs\n", kRuns);
  return 0;
}
