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

#if defined(__x86_64__) && !defined(KILN_FIBER_BOOST_SWITCH)
#define KILN_FIBER_OWN_SWITCH 1
#endif

namespace kiln::runtime {

using StackContext = void*;
// Runs on the new stack; must never return (it switches away for good).
using StackEntry = void (*)(void* arg);

#ifdef KILN_FIBER_OWN_SWITCH

extern "C" void kiln_stack_switch(StackContext* save, StackContext to);

// A context on the stack ending at `top` (16-byte aligned) that runs the
// entry given to StartStack when first switched to.
StackContext MakeStackContext(uintptr_t top, size_t size);

// The first switch to `to` (from MakeStackContext): entry(arg) runs there.
void StartStack(StackContext* save, StackContext to, StackEntry entry,
                void* arg);

// Stores the current stack's context in *save and continues `to`; returns
// when some switch continues *save.
inline void SwitchStack(StackContext* save, StackContext to) {
  kiln_stack_switch(save, to);
}

#else  // Boost.Context

StackContext MakeStackContext(uintptr_t top, size_t size);
void StartStack(StackContext* save, StackContext to, StackEntry entry,
                void* arg);
void SwitchStack(StackContext* save, StackContext to);

#endif

namespace internal {
// Boost.Context's switch behind the same calls, on every CPU, for
// comparison (BM_StackSwitch_Boost).
StackContext BoostMakeStackContext(uintptr_t top, size_t size);
void BoostStartStack(StackContext* save, StackContext to, StackEntry entry,
                     void* arg);
void BoostSwitchStack(StackContext* save, StackContext to);
}  // namespace internal

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_FIBER_STACK_SWITCH_H_
