// The AArch64 calling convention of compiled wasm code, as data: AAPCS64
// with Kiln's two hidden leading arguments (callee VMContext* in x0,
// caller VMContext* in x1). The one place that names AArch64's argument,
// result and callee-saved registers; codegen's aarch64 ABI object
// (codegen/isa/aarch64/abi.h), the trampolines and the runtime's entry
// trampolines (runtime/traps/entry_trampolines.cc) read it. No asmjit: registers are
// hardware numbers (x0..x30; float registers are v numbers).
#ifndef KILN_RUNTIME_ABI_AARCH64_CALL_CONV_H_
#define KILN_RUNTIME_ABI_AARCH64_CALL_CONV_H_

#include <cstdint>

namespace kiln::abi::aarch64 {

struct CallConv {
  static constexpr const char* kName = "AArch64 AAPCS64 + Kiln VMContext";
  // Integer / pointer arguments x0..x7.
  static constexpr uint8_t kIntArgRegs[] = {0, 1, 2, 3, 4, 5, 6, 7};
  static constexpr int kNumIntArgRegs = 8;
  // Float arguments v0..v7.
  static constexpr uint8_t kFloatArgRegs[] = {0, 1, 2, 3, 4, 5, 6, 7};
  static constexpr int kNumFloatArgRegs = 8;
  static constexpr bool kSharedArgCounter = false;
  // Results: x0, x1 / v0, v1.
  static constexpr uint8_t kIntRetRegs[] = {0, 1};
  static constexpr uint8_t kFloatRetRegs[] = {0, 1};
  // Every stack argument takes one 8-byte slot, left to right (AAPCS64 for
  // arguments of at most 8 bytes on Linux).
  static constexpr int kStackSlotSize = 8;
  static constexpr int kStackAlign = 16;
  // Unlike AAPCS64, a wasm callee pops its stack-argument area (`add sp`
  // before `ret`; n = the slots rounded up to kStackAlign), as on x86-64:
  // a tail call can then pass more stack arguments than its own caller did
  // and still leave sp where that caller expects it. Builtins (C
  // functions) keep AAPCS64's caller pops.
  static constexpr bool kCalleePopsStackArgs = true;
  // Callee-saved general-purpose registers (x29 is the frame pointer and
  // saved with x30 by every prologue). d8-d15 are callee-saved too (their
  // low 64 bits); Kiln's code never allocates them.
  static constexpr uint8_t kCalleeSavedGprs[] = {19, 20, 21, 22, 23,
                                                 24, 25, 26, 27, 28};
  static constexpr uint8_t kCalleeSavedFprs[] = {8, 9, 10, 11, 12, 13, 14, 15};
  static constexpr uint8_t kFramePointer = 29;
  static constexpr uint8_t kLinkRegister = 30;
  static constexpr uint8_t kStackPointer = 31;
  // The frame record (x29, x30) sits at the frame pointer: stack arguments
  // start 16 bytes above it.
  static constexpr int kFrameHeaderSize = 16;
};

}  // namespace kiln::abi::aarch64

#endif  // KILN_RUNTIME_ABI_AARCH64_CALL_CONV_H_
