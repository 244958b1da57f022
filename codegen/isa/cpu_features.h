// CpuFeatures: the feature set of the ISA Kiln compiles for, which is the
// host's. Each ISA defines its own struct (x86-64: x64/cpu_features.h);
// this header names the host ISA's as isa::CpuFeatures for the compiler,
// the engine's Config and the .cwasm feature bits.
#ifndef KILN_CODEGEN_ISA_CPU_FEATURES_H_
#define KILN_CODEGEN_ISA_CPU_FEATURES_H_

#if defined(__x86_64__)
#include "codegen/isa/x64/cpu_features.h"
#elif defined(__aarch64__)
#include "codegen/isa/aarch64/cpu_features.h"
#else
#error "Kiln's code generator targets x86-64 and AArch64 only"
#endif

namespace kiln::isa {

#if defined(__x86_64__)
using CpuFeatures = x64::CpuFeatures;
#elif defined(__aarch64__)
using CpuFeatures = aarch64::CpuFeatures;
#endif

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_CPU_FEATURES_H_
