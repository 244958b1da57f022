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

struct ThreadActivation {
  EntryFrame* entry = nullptr;   // innermost entry frame on that stack
  uintptr_t stack_floor = 0;     // lowest stack limit wasm may get there
  StackBounds bounds;            // the stack's usable range
};

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
  if (__builtin_expect(internal::tls_stack_floor == 0, 0)) {
    internal::PrepareThreadForSwap();
  }
  StackBounds& bounds = internal::tls_stack_bounds;
  ThreadActivation prev;
  prev.entry = internal::tls_current_entry;
  prev.stack_floor = internal::tls_stack_floor;
  prev.bounds = bounds;
  internal::tls_current_entry = next.entry;
  internal::tls_stack_floor = next.stack_floor;
  bounds = next.bounds;
  return prev;
}

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_THREAD_ACTIVATION_H_
