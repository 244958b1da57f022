#include "runtime/fiber/stack_switch.h"

#include <cstdio>
#include <cstdlib>

#include "boost/context/detail/fcontext.hpp"

#ifdef KILN_FIBER_OWN_SWITCH
// kiln_stack_switch(StackContext* save /* rdi */, StackContext to /* rsi */)
// The saved context is the stack pointer after six pushes:
//   [sp] r15, r14, r13, r12, rbx, rbp, return address
// Every suspended stack has that layout, so the CFI of the pops (on the
// new stack) mirrors the pushes'.
//
// kiln_stack_start: where a fresh context (MakeStackContext) "returns" to:
// calls rbx(r12), i.e. entry(arg) as StartStack stored them. The return
// address and rbp of the outermost frame are 0, so frame-pointer walks and
// unwinders stop there.
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
  ret
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

namespace fc = boost::context::detail;

#ifdef KILN_FIBER_OWN_SWITCH

namespace {
// The fresh context's frame, from the saved stack pointer up (see the
// layout above). Its rsp after the `ret` into kiln_stack_start is 16-byte
// aligned, as the call there needs.
struct InitialFrame {
  uint64_t r15, r14, r13, r12, rbx, rbp;
  uint64_t ret;
  uint64_t zero[2];  // a null return address above: walks stop
};
static_assert(sizeof(InitialFrame) == 72);
}  // namespace

StackContext MakeStackContext(uintptr_t top, size_t size) {
  (void)size;
  auto* frame =
      reinterpret_cast<InitialFrame*>((top & ~uintptr_t{15}) - sizeof(InitialFrame));
  *frame = InitialFrame{};
  frame->ret = reinterpret_cast<uint64_t>(&kiln_stack_start);
  return frame;
}

void StartStack(StackContext* save, StackContext to, StackEntry entry,
                void* arg) {
  auto* frame = static_cast<InitialFrame*>(to);
  frame->rbx = reinterpret_cast<uint64_t>(entry);
  frame->r12 = reinterpret_cast<uint64_t>(arg);
  kiln_stack_switch(save, to);
}

#else

StackContext MakeStackContext(uintptr_t top, size_t size) {
  return internal::BoostMakeStackContext(top, size);
}
void StartStack(StackContext* save, StackContext to, StackEntry entry,
                void* arg) {
  internal::BoostStartStack(save, to, entry, arg);
}
void SwitchStack(StackContext* save, StackContext to) {
  internal::BoostSwitchStack(save, to);
}

#endif

namespace internal {
namespace {
// jump_fcontext hands the target the source's context (transfer_t::fctx)
// and one pointer; the pointer is this record on the source's stack, so
// the target stores the source's context where the source asked for it.
struct BoostSwitch {
  StackContext* save;
  StackEntry entry;  // StartStack only
  void* arg;
};

void BoostEntry(fc::transfer_t t) {
  const auto* from = static_cast<const BoostSwitch*>(t.data);
  *from->save = t.fctx;
  from->entry(from->arg);
  std::fprintf(stderr, "kiln: a stack entry returned\n");
  std::abort();
}
}  // namespace

StackContext BoostMakeStackContext(uintptr_t top, size_t size) {
  return fc::make_fcontext(reinterpret_cast<void*>(top), size, &BoostEntry);
}

void BoostStartStack(StackContext* save, StackContext to, StackEntry entry,
                     void* arg) {
  BoostSwitch here{save, entry, arg};
  fc::transfer_t t = fc::jump_fcontext(to, &here);
  const auto* from = static_cast<const BoostSwitch*>(t.data);
  *from->save = t.fctx;
}

void BoostSwitchStack(StackContext* save, StackContext to) {
  BoostSwitch here{save, nullptr, nullptr};
  fc::transfer_t t = fc::jump_fcontext(to, &here);
  const auto* from = static_cast<const BoostSwitch*>(t.data);
  *from->save = t.fctx;
}

}  // namespace internal

}  // namespace kiln::runtime
