// The x86-64 CPU features the x64 backend may use. A struct of bools (the
// .cwasm format stores it bit by bit, field order is ABI: add fields at
// the end). Detected from the running CPU with asmjit's CpuInfo.
#ifndef KILN_CODEGEN_ISA_X64_CPU_FEATURES_H_
#define KILN_CODEGEN_ISA_X64_CPU_FEATURES_H_

namespace kiln::isa::x64 {

struct CpuFeatures {
  bool sse41 = false;   // roundss/roundsd (required for floor/ceil/trunc/nearest)
  bool popcnt = false;  // else a bit-twiddling sequence
  bool lzcnt = false;   // else bsr + cmov
  bool bmi1 = false;    // tzcnt, andn, blsr/blsi; else bsf + cmov, not + and
  bool sse42 = false;   // pcmpgtq (i64x2 ordered compares); SIMD needs sse41
  bool fma = false;     // vfmadd (fused relaxed_madd)
  bool avx = false;     // VEX forms (vblendv for relaxed_laneselect)
  bool bmi2 = false;    // shlx/shrx/sarx (variable shifts without cl), rorx
  static CpuFeatures Host();
  static CpuFeatures Baseline() { return CpuFeatures(); }  // plain x86-64
  static CpuFeatures All() { return {true, true, true, true, true, true, true, true}; }
};

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_CPU_FEATURES_H_
