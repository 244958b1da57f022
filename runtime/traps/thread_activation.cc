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

namespace internal {
void PrepareThreadForSwap() {
  PrepareThread();
  // The thread's own bounds cached before the first swap saves them.
  (void)CurrentThreadStackBounds();
}
}  // namespace internal

}  // namespace kiln::runtime
