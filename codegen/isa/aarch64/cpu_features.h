// The AArch64 CPU features the aarch64 backend may use. A struct of bools
// (the .cwasm format stores it bit by bit, field order is ABI: add fields
// at the end). The scalar backend needs only ARMv8.0-A (clz, rbit, frint*,
// fcvtz*, NEON cnt), so nothing is optional yet; LSE atomics will be the
// first entry (wasm threads).
#ifndef KILN_CODEGEN_ISA_AARCH64_CPU_FEATURES_H_
#define KILN_CODEGEN_ISA_AARCH64_CPU_FEATURES_H_

namespace kiln::isa::aarch64 {

struct CpuFeatures {
  bool lse = false;  // ARMv8.1 atomics (not used yet)
  static CpuFeatures Host();
  static CpuFeatures Baseline() { return CpuFeatures(); }  // ARMv8.0-A
  static CpuFeatures All() { return {true}; }
};

}  // namespace kiln::isa::aarch64

#endif  // KILN_CODEGEN_ISA_AARCH64_CPU_FEATURES_H_
