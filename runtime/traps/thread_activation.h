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

// Installs `next` as this thread's activation state and returns the one it
// replaces. Prepares the thread for wasm first (trap handlers, alternate
// signal stack) if it never entered wasm. Not async-signal-safe.
ThreadActivation SwapThreadActivation(const ThreadActivation& next);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_THREAD_ACTIVATION_H_
