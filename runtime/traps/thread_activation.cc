#include "runtime/traps/thread_activation.h"

#include "runtime/traps/entry.h"

namespace kiln::runtime {

ThreadActivation ActivationForStack(uintptr_t low, uintptr_t high) {
  ThreadActivation a;
  a.entry = nullptr;
  a.stack_floor = low + kHostStackReserve;
  a.bounds.low = low;
  a.bounds.high = high;
  return a;
}

ThreadActivation SwapThreadActivation(const ThreadActivation& next) {
  if (internal::tls_stack_floor == 0) internal::PrepareThread();
  ThreadActivation prev;
  prev.entry = internal::tls_current_entry;
  prev.stack_floor = internal::tls_stack_floor;
  prev.bounds = CurrentThreadStackBounds();
  internal::tls_current_entry = next.entry;
  internal::tls_stack_floor = next.stack_floor;
  internal::tls_stack_bounds = next.bounds;
  return prev;
}

}  // namespace kiln::runtime
