// x86-64 Linux: pc / sp / fp in ucontext_t's general registers.
#include "runtime/traps/machine_context.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "x64/machine_context_x64.cc is for x86-64 Linux"
#endif

namespace kiln::runtime {

InterruptedState ReadInterruptedState(const ucontext_t* uc) {
  const greg_t* regs = uc->uc_mcontext.gregs;
  InterruptedState s;
  s.pc = static_cast<uintptr_t>(regs[REG_RIP]);
  s.sp = static_cast<uintptr_t>(regs[REG_RSP]);
  s.fp = static_cast<uintptr_t>(regs[REG_RBP]);
  return s;
}

void ResumeAt(ucontext_t* uc, uintptr_t pc, uintptr_t sp) {
  greg_t* regs = uc->uc_mcontext.gregs;
  regs[REG_RSP] = static_cast<greg_t>(sp);
  regs[REG_RIP] = static_cast<greg_t>(pc);
}

}  // namespace kiln::runtime
