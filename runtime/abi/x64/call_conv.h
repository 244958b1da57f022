// The x86-64 calling convention of compiled wasm code, as data: System V
// AMD64 with Kiln's two hidden leading arguments (callee VMContext*,
// caller VMContext*). This is the one place that names x86-64's argument,
// result and callee-saved registers; codegen's x64 ABI object
// (codegen/isa/x64/abi.h), the host<->wasm trampolines, the runtime's
// entry trampolines (runtime/traps/entry_trampolines.cc) and TypedFunc's argument placement (via
// runtime/abi/call_conv.h) all read it. No asmjit: registers are hardware
// encodings (0 = rax ... 15 = r15; float registers are xmm numbers).
#ifndef KILN_RUNTIME_ABI_X64_CALL_CONV_H_
#define KILN_RUNTIME_ABI_X64_CALL_CONV_H_

#include <cstdint>

namespace kiln::abi::x64 {

// Hardware encodings of the general-purpose registers.
enum Gpr : uint8_t {
  kRax = 0, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};

struct CallConv {
  static constexpr const char* kName = "x86-64 System V + Kiln VMContext";
  // Integer / pointer arguments, in order.
  static constexpr uint8_t kIntArgRegs[] = {kRdi, kRsi, kRdx, kRcx, kR8, kR9};
  static constexpr int kNumIntArgRegs = 6;
  // Float and vector arguments: xmm0..xmm7.
  static constexpr uint8_t kFloatArgRegs[] = {0, 1, 2, 3, 4, 5, 6, 7};
  static constexpr int kNumFloatArgRegs = 8;
  // Integer / float argument registers are counted separately (System V;
  // Windows x64 would share one counter).
  static constexpr bool kSharedArgCounter = false;
  // Results: rax, rdx (a second integer word) / xmm0, xmm1.
  static constexpr uint8_t kIntRetRegs[] = {kRax, kRdx};
  static constexpr uint8_t kFloatRetRegs[] = {0, 1};
  // Every stack argument takes one slot of this size, left to right.
  static constexpr int kStackSlotSize = 8;
  static constexpr int kStackAlign = 16;
  // A wasm callee pops its stack-argument area (`ret n`, n = the slots
  // rounded up to kStackAlign), like Cranelift's `tail` convention: a
  // tail call can then pass more stack arguments than its own caller did
  // (it moves the return address) and still leave the stack where that
  // caller expects it. Builtins (C functions) keep System V's caller pops.
  static constexpr bool kCalleePopsStackArgs = true;
  // Registers a callee preserves (rbp is the frame pointer and saved by
  // every prologue).
  static constexpr uint8_t kCalleeSavedGprs[] = {kRbx, kR12, kR13, kR14, kR15};
  static constexpr uint8_t kFramePointer = kRbp;
  static constexpr uint8_t kStackPointer = kRsp;
  // Size of the return address plus the saved frame pointer: stack
  // arguments start this far above the frame pointer.
  static constexpr int kFrameHeaderSize = 16;
};

}  // namespace kiln::abi::x64

#endif  // KILN_RUNTIME_ABI_X64_CALL_CONV_H_
