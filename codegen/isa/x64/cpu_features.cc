#include "codegen/isa/x64/cpu_features.h"

#include <asmjit/core.h>

namespace kiln::isa::x64 {

CpuFeatures CpuFeatures::Host() {
  const asmjit::CpuInfo& info = asmjit::CpuInfo::host();
  using X = asmjit::CpuFeatures::X86;
  CpuFeatures c;
  c.sse41 = info.hasFeature(X::kSSE4_1);
  c.popcnt = info.hasFeature(X::kPOPCNT);
  c.lzcnt = info.hasFeature(X::kLZCNT);
  c.bmi1 = info.hasFeature(X::kBMI);
  c.sse42 = info.hasFeature(X::kSSE4_2);
  c.fma = info.hasFeature(X::kFMA);
  c.avx = info.hasFeature(X::kAVX);
  c.bmi2 = info.hasFeature(X::kBMI2);
  return c;
}

}  // namespace kiln::isa::x64
