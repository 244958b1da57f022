// The x86-64 stack switch (kiln_stack_switch in stack_switch_x64.cc), the
// part of runtime/fiber/stack_switch.h that names x86-64 registers. Only
// stack_switch.h includes this, after declaring StackContext and
// StackEntry (as V8's per-architecture -inl.h files).
#ifndef KILN_RUNTIME_FIBER_X64_STACK_SWITCH_X64_H_
#define KILN_RUNTIME_FIBER_X64_STACK_SWITCH_X64_H_

#include <cstddef>
#include <cstdint>

namespace kiln::runtime {

extern "C" void kiln_stack_switch(StackContext* save, StackContext to);

namespace internal {
// A fresh context's frame, from its saved stack pointer up: what
// kiln_stack_switch pops, then the return into kiln_stack_start, which
// calls rbx(r12) = entry(arg). Its rsp after that `ret` is 16-byte
// aligned, as the call there needs.
struct InitialFrame {
  uint64_t r15, r14, r13, r12, rbx, rbp;
  uint64_t ret;
  uint64_t zero[2];  // a null return address above: walks stop
};
static_assert(sizeof(InitialFrame) == 72);
}  // namespace internal

// A context on the stack ending at `top` that runs the entry given to
// StartStack when first switched to.
StackContext MakeStackContext(uintptr_t top, size_t size);

// The first switch to `to` (from MakeStackContext): entry(arg) runs there.
inline void StartStack(StackContext* save, StackContext to, StackEntry entry,
                       void* arg) {
  auto* frame = static_cast<internal::InitialFrame*>(to);
  frame->rbx = reinterpret_cast<uint64_t>(entry);
  frame->r12 = reinterpret_cast<uint64_t>(arg);
  kiln_stack_switch(save, to);
}

// Stores the current stack's context in *save and continues `to`; returns
// when some switch continues *save.
inline void SwitchStack(StackContext* save, StackContext to) {
  kiln_stack_switch(save, to);
}

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_FIBER_X64_STACK_SWITCH_X64_H_
