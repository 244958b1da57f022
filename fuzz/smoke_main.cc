// Runs the fuzz target over a few fixed inputs and their truncations and
// byte flips, built with the default toolchain (no libFuzzer), so
// `bazel test //...` checks the target's invariants on every change.
#include <cstdint>
#include <cstdio>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

const std::vector<std::vector<uint8_t>> kSeeds = {
    {},
    {0x00, 0x61, 0x73, 0x6d},
    {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00},
    // (module (func (param i32) (result i32) local.get 0 i32.const 1 i32.add)
    //         (memory 1) (export "f" (func 0)))
    {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01,
     0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03,
     0x01, 0x00, 0x01, 0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a,
     0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b},
};

}  // namespace

int main() {
  int runs = 0;
  for (const std::vector<uint8_t>& seed : kSeeds) {
    for (size_t n = 0; n <= seed.size(); ++n) {
      LLVMFuzzerTestOneInput(seed.data(), n);
      ++runs;
    }
    for (size_t i = 0; i < seed.size(); ++i) {
      for (uint8_t x : {0x01, 0x80, 0xff}) {
        std::vector<uint8_t> mutated = seed;
        mutated[i] ^= x;
        LLVMFuzzerTestOneInput(mutated.data(), mutated.size());
        ++runs;
      }
    }
  }
  std::printf("fuzz smoke test: %d inputs\n", runs);
  return 0;
}
