// The signal handler's view of the interrupted machine state: one
// implementation per ISA (runtime/traps/<isa>/machine_context_<isa>.cc;
// x86-64: x64/machine_context_x64.cc). Async-signal-safe.
#ifndef KILN_RUNTIME_TRAPS_MACHINE_CONTEXT_H_
#define KILN_RUNTIME_TRAPS_MACHINE_CONTEXT_H_

#include <ucontext.h>

#include <cstdint>

namespace kiln::runtime {

struct InterruptedState {
  uintptr_t pc = 0;
  uintptr_t sp = 0;
  uintptr_t fp = 0;  // the frame-pointer register (frame chain head)
};

InterruptedState ReadInterruptedState(const ucontext_t* uc);

// Makes returning from the handler resume at `pc` with stack pointer `sp`.
void ResumeAt(ucontext_t* uc, uintptr_t pc, uintptr_t sp);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_MACHINE_CONTEXT_H_
