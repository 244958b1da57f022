#include <cstddef>
#include <cstdint>

#include "runtime/fiber/stack_switch.h"

#ifdef KILN_FIBER_OWN_SWITCH
// kiln_stack_switch(StackContext* save /* rdi */, StackContext to /* rsi */)
// The saved context is the stack pointer after six pushes:
//   [sp] r15, r14, r13, r12, rbx, rbp, return address
// Every suspended stack has that layout, so the CFI of the pops (on the
// new stack) mirrors the pushes'. The return address is popped and jumped
// to, not `ret`urned to: a `ret` into another stack than the call came
// from is mispredicted by the return stack buffer on every switch (the
// round trip took twice as long as Boost's jump_fcontext, which does the
// same). rcx is free: caller-saved and not a result register.
//
// kiln_stack_start: where a fresh context (MakeStackContext) "returns" to:
// calls rbx(r12), i.e. entry(arg) as StartStack stored them (InitialFrame
// in stack_switch.h). The return address and rbp of the outermost frame are
// 0, so frame-pointer walks and unwinders stop there.
asm(R"(
  .text
  .globl kiln_stack_switch
  .type kiln_stack_switch, @function
  .p2align 4
kiln_stack_switch:
  .cfi_startproc
  pushq %rbp
  .cfi_adjust_cfa_offset 8
  pushq %rbx
  .cfi_adjust_cfa_offset 8
  pushq %r12
  .cfi_adjust_cfa_offset 8
  pushq %r13
  .cfi_adjust_cfa_offset 8
  pushq %r14
  .cfi_adjust_cfa_offset 8
  pushq %r15
  .cfi_adjust_cfa_offset 8
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  .cfi_adjust_cfa_offset -8
  popq %r14
  .cfi_adjust_cfa_offset -8
  popq %r13
  .cfi_adjust_cfa_offset -8
  popq %r12
  .cfi_adjust_cfa_offset -8
  popq %rbx
  .cfi_adjust_cfa_offset -8
  popq %rbp
  .cfi_adjust_cfa_offset -8
  popq %rcx
  .cfi_adjust_cfa_offset -8
  .cfi_register rip, rcx
  jmpq *%rcx
  .cfi_endproc
  .size kiln_stack_switch, .-kiln_stack_switch

  .globl kiln_stack_start
  .type kiln_stack_start, @function
  .p2align 4
kiln_stack_start:
  .cfi_startproc
  .cfi_undefined rip
  movq %r12, %rdi
  callq *%rbx
  ud2
  .cfi_endproc
  .size kiln_stack_start, .-kiln_stack_start
)");

extern "C" void kiln_stack_start();
#endif

namespace kiln::runtime {

#ifdef KILN_FIBER_OWN_SWITCH
StackContext MakeStackContext(uintptr_t top, size_t size) {
  (void)size;
  auto* frame = reinterpret_cast<internal::InitialFrame*>(
      (top & ~uintptr_t{15}) - sizeof(internal::InitialFrame));
  *frame = internal::InitialFrame{};
  frame->ret = reinterpret_cast<uint64_t>(&kiln_stack_start);
  return frame;
}
#endif

}  // namespace kiln::runtime
