#include "runtime/traps/call_thread_state.h"

namespace kiln::runtime {
namespace {

std::atomic<uintptr_t> g_trap_landing_pc{0};

}  // namespace

namespace internal {
__attribute__((tls_model("initial-exec"))) __thread EntryFrame*
    tls_current_entry = nullptr;
__attribute__((tls_model("initial-exec"))) __thread uintptr_t
    tls_stack_floor = 0;
}  // namespace internal

uintptr_t TrapLandingPc() {
  return g_trap_landing_pc.load(std::memory_order_acquire);
}
void SetTrapLandingPc(uintptr_t pc) {
  g_trap_landing_pc.store(pc, std::memory_order_release);
}

}  // namespace kiln::runtime
