// AArch64 Linux: pc / sp / fp (x29) in ucontext_t's mcontext.
#include "runtime/traps/machine_context.h"

#include "runtime/abi/aarch64/call_conv.h"

#if !defined(__aarch64__) || !defined(__linux__)
#error "aarch64/machine_context_aarch64.cc is for AArch64 Linux"
#endif

namespace kiln::runtime {

InterruptedState ReadInterruptedState(const ucontext_t* uc) {
  const mcontext_t& mc = uc->uc_mcontext;
  InterruptedState s;
  s.pc = static_cast<uintptr_t>(mc.pc);
  s.sp = static_cast<uintptr_t>(mc.sp);
  s.fp = static_cast<uintptr_t>(mc.regs[abi::aarch64::CallConv::kFramePointer]);
  return s;
}

void ResumeAt(ucontext_t* uc, uintptr_t pc, uintptr_t sp) {
  mcontext_t& mc = uc->uc_mcontext;
  mc.sp = static_cast<uint64_t>(sp);
  mc.pc = static_cast<uint64_t>(pc);
}

}  // namespace kiln::runtime
