#include "runtime/traps/call_thread_state.h"

namespace kiln::runtime {
namespace {

std::atomic<uintptr_t> g_trap_landing_pc{0};

}  // namespace

namespace internal {
// noinline: the caller's cached thread pointer must not reach this store
// (SetCurrentEntryFrameAfterCall).
__attribute__((noinline)) void SetCurrentEntryFrameOutOfLine(
    EntryFrame* frame) {
  tls_activation.entry = frame;
}
}  // namespace internal

uintptr_t TrapLandingPc() {
  return g_trap_landing_pc.load(std::memory_order_acquire);
}
void SetTrapLandingPc(uintptr_t pc) {
  g_trap_landing_pc.store(pc, std::memory_order_release);
}

}  // namespace kiln::runtime
