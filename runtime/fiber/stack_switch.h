// Switching the CPU between stacks: the primitive under Fiber.
//
//   StackContext ctx = MakeStackContext(stack.top(), stack.size());
//   StartStack(&host, ctx, entry, arg);   // entry(arg) runs on the stack
//   ...                                   // (until it switches back:)
//   SwitchStack(&mine, host);             // from inside entry
//
// A StackContext is a suspended stack: what SwitchStack(&save, ...) left in
// `save` when it switched away from it, and what a later SwitchStack(...,
// ctx) continues. Both sides store their own context before switching, so
// a switch is symmetric and needs no return value.
//
// Two implementations behind the same three calls:
//  * x86-64: our own switch (stack_switch.cc, 15 instructions): pushes
//    the callee-saved registers (rbp, rbx, r12-r15), stores rsp, loads the
//    other stack's rsp, pops its registers, returns into it. Like
//    wasmtime's fiber switch it does not save MXCSR / the x87 control word
//    (they are per thread, shared by fibers and host, as for a plain call);
//    Boost.Context's jump_fcontext saves and reloads both (ldmxcsr and
//    fldcw are slow) and returns a transfer_t the caller must store. On
//    this machine the round trip is ~2 ns with ours and ~9 ns with
//    jump_fcontext (BM_StackSwitch_Own / BM_StackSwitch_Boost in
//    //benchmarks:async); the fiber round trip BM_FiberSwitch went from
//    34 ns to below 10.
//  * other CPUs (and x86-64 with KILN_FIBER_BOOST_SWITCH defined, which
//    fiber_boost_test builds): Boost.Context's fcontext (Debian's
//    libboost-context).
#ifndef KILN_RUNTIME_FIBER_STACK_SWITCH_H_
#define KILN_RUNTIME_FIBER_STACK_SWITCH_H_

#include <cstddef>
#include <cstdint>

#include "boost/context/detail/fcontext.hpp"

#if defined(__x86_64__) && !defined(KILN_FIBER_BOOST_SWITCH)
#define KILN_FIBER_OWN_SWITCH 1
#endif

namespace kiln::runtime {

using StackContext = void*;
// Runs on the new stack; must never return (it switches away for good).
using StackEntry = void (*)(void* arg);

// StartStack and SwitchStack are inline (as the fiber code calling them):
// no function of ours may be entered on one stack and left on another,
// for ThreadSanitizer counts function entries and exits per fiber (see
// sanitizer_hooks.h).

namespace internal {
// Boost.Context's switch behind the same calls, on every CPU (the switch of
// other CPUs; BM_StackSwitch_Boost compares it with ours).
//
// jump_fcontext hands the target the source's context (transfer_t::fctx)
// and one pointer: this record on the source's stack, so the target stores
// the source's context where the source asked for it.
struct BoostSwitch {
  StackContext* save;
  StackEntry entry;  // BoostStartStack only
  void* arg;
};
// Where a context from BoostMakeStackContext begins (stack_switch.cc).
void BoostEntry(boost::context::detail::transfer_t t);

inline StackContext BoostMakeStackContext(uintptr_t top, size_t size) {
  return boost::context::detail::make_fcontext(reinterpret_cast<void*>(top),
                                               size, &BoostEntry);
}
inline void BoostSwitchTo(StackContext* save, StackContext to,
                          StackEntry entry, void* arg) {
  BoostSwitch here{save, entry, arg};
  boost::context::detail::transfer_t t =
      boost::context::detail::jump_fcontext(to, &here);
  *static_cast<const BoostSwitch*>(t.data)->save = t.fctx;
}
inline void BoostStartStack(StackContext* save, StackContext to,
                            StackEntry entry, void* arg) {
  BoostSwitchTo(save, to, entry, arg);
}
inline void BoostSwitchStack(StackContext* save, StackContext to) {
  BoostSwitchTo(save, to, nullptr, nullptr);
}
}  // namespace internal

#ifndef KILN_FIBER_OWN_SWITCH  // else x64/stack_switch_x64.h, below


inline StackContext MakeStackContext(uintptr_t top, size_t size) {
  return internal::BoostMakeStackContext(top, size);
}
inline void StartStack(StackContext* save, StackContext to, StackEntry entry,
                       void* arg) {
  internal::BoostStartStack(save, to, entry, arg);
}
inline void SwitchStack(StackContext* save, StackContext to) {
  internal::BoostSwitchStack(save, to);
}

#endif

}  // namespace kiln::runtime

#ifdef KILN_FIBER_OWN_SWITCH
#include "runtime/fiber/x64/stack_switch_x64.h"
#endif

#endif  // KILN_RUNTIME_FIBER_STACK_SWITCH_H_
