// The stack limit compiled code checks in its prologue.
//
// Stack overflow in wasm is detected explicitly: every function prologue
// compares rsp (minus its frame size) with VMRuntimeLimits::stack_limit and
// traps StackOverflow below it (see runtime/abi/vm_offsets.h). EnterWasm sets
// that limit on the outermost entry of a store from ComputeStackLimit.
#ifndef KILN_RUNTIME_TRAPS_STACK_LIMIT_H_
#define KILN_RUNTIME_TRAPS_STACK_LIMIT_H_

#include <cstddef>
#include <cstdint>

namespace kiln::runtime {

// Default budget of stack for one outermost wasm activation.
inline constexpr size_t kDefaultMaxWasmStack = size_t{1} << 20;  // 1 MiB
// Stack kept free below the wasm limit for host functions and builtins
// called from wasm near the limit (their own frames are not checked).
inline constexpr size_t kHostStackReserve = size_t{128} << 10;   // 128 KiB

struct StackBounds {
  uintptr_t low = 0;   // lowest usable address (above any guard page)
  uintptr_t high = 0;  // one past the highest address
};

struct EntryFrame;  // call_thread_state.h

// The per-thread state of wasm activations, which is per stack: a fiber
// switch (thread_activation.h) saves the running stack's and installs the
// other's.
struct ThreadActivation {
  EntryFrame* entry = nullptr;  // innermost entry frame on that stack
  // The lowest stack limit wasm may get there (stack bottom +
  // kHostStackReserve); 0 on a thread not ready to enter wasm yet (trap
  // handlers installed, alternate signal stack, stack bounds known).
  uintptr_t stack_floor = 0;
  StackBounds bounds;  // the stack's usable range (high 0: not known yet)
};

namespace internal {
StackBounds QueryThreadStackBounds();
// The running stack's ThreadActivation: one TLS object, so a fiber switch
// copies 32 contiguous bytes each way. constinit: constant-initialised, so
// every use is a plain TLS access (an extern thread_local otherwise goes
// through the TLS wrapper function); initial-exec: reading it in a signal
// handler never calls __tls_get_addr (which may allocate on first use in
// a dlopen'ed library).
extern constinit __attribute__((tls_model("initial-exec"))) thread_local
    ThreadActivation tls_activation;
}  // namespace internal

// The calling thread's stack, from pthread_getattr_np, cached per thread.
// Not async-signal-safe (the first call per thread may read /proc).
inline StackBounds CurrentThreadStackBounds() {
  StackBounds& bounds = internal::tls_activation.bounds;
  if (bounds.high == 0) bounds = internal::QueryThreadStackBounds();
  return bounds;
}

// The limit for a wasm activation starting at stack pointer `sp`:
//   max(sp - max_wasm_stack, bounds.low + kHostStackReserve)
// (never above sp). Wasm may use [limit, sp).
uintptr_t ComputeStackLimit(uintptr_t sp, size_t max_wasm_stack);

// ComputeStackLimit for the caller's current stack pointer.
uintptr_t ComputeStackLimitHere(size_t max_wasm_stack = kDefaultMaxWasmStack);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_STACK_LIMIT_H_
