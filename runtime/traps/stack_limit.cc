#include "runtime/traps/stack_limit.h"

#include <pthread.h>

#include <algorithm>

namespace kiln::runtime {

namespace internal {

constinit __attribute__((tls_model("initial-exec"))) thread_local
    ThreadActivation tls_activation;

StackBounds QueryThreadStackBounds() {
  StackBounds cached;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* addr = nullptr;
    size_t size = 0;
    size_t guard = 0;
    if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
      pthread_attr_getguardsize(&attr, &guard);
      cached.low = reinterpret_cast<uintptr_t>(addr) + guard;
      cached.high = reinterpret_cast<uintptr_t>(addr) + size;
    }
    pthread_attr_destroy(&attr);
  }
  if (cached.high == 0) {
    // Unknown: assume 8 MiB below the current frame.
    const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    cached.high = here;
    cached.low = here - (size_t{8} << 20);
  }
  return cached;
}

}  // namespace internal

uintptr_t ComputeStackLimit(uintptr_t sp, size_t max_wasm_stack) {
  const StackBounds bounds = CurrentThreadStackBounds();
  const uintptr_t by_budget = sp > max_wasm_stack ? sp - max_wasm_stack : 0;
  const uintptr_t by_bounds = bounds.low + kHostStackReserve;
  return std::min(sp, std::max(by_budget, by_bounds));
}

uintptr_t ComputeStackLimitHere(size_t max_wasm_stack) {
  return ComputeStackLimit(
      reinterpret_cast<uintptr_t>(__builtin_frame_address(0)), max_wasm_stack);
}

}  // namespace kiln::runtime
