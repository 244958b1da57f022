// Switching a thread between stacks (fibers, runtime/fiber): the per-thread
// state of wasm activations -- the entry-frame list, the stack floor that
// BeginEntry derives stack limits from, and the cached stack bounds -- is
// per stack, not per thread. A fiber switch saves the running stack's state
// and installs the other's, so traps, RaiseTrap, backtraces and stack
// limits on a fiber stack see only that stack's activations and bounds, as
// on the thread's own stack.
#ifndef KILN_RUNTIME_TRAPS_THREAD_ACTIVATION_H_
#define KILN_RUNTIME_TRAPS_THREAD_ACTIVATION_H_

#include <cstdint>

#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/stack_limit.h"

namespace kiln::runtime {

// ThreadActivation itself is in stack_limit.h (the TLS object is one).

// The state for a fresh stack [low, high): no entries, floor
// low + kHostStackReserve.
ThreadActivation ActivationForStack(uintptr_t low, uintptr_t high);

namespace internal {
// First swap on a thread that never entered wasm: prepares it (trap
// handlers, alternate signal stack, the thread's own bounds).
void PrepareThreadForSwap();
}  // namespace internal

// Installs `next` as this thread's activation state and returns the one it
// replaces (inline: a fiber switch does it twice). Not async-signal-safe.
inline ThreadActivation SwapThreadActivation(const ThreadActivation& next) {
  if (__builtin_expect(internal::tls_activation.stack_floor == 0, 0)) {
    internal::PrepareThreadForSwap();
  }
  const ThreadActivation prev = internal::tls_activation;
  internal::tls_activation = next;
  return prev;
}

// Puts back a state SwapThreadActivation returned, on the thread that
// swapped it out (already prepared, so no check). Not async-signal-safe.
inline void RestoreThreadActivation(const ThreadActivation& prev) {
  internal::tls_activation = prev;
}

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_THREAD_ACTIVATION_H_
