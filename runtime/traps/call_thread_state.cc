#include "runtime/traps/call_thread_state.h"

namespace kiln::runtime {
namespace {

// initial-exec: reading it in a signal handler never calls __tls_get_addr
// (which may allocate on first use in a dlopen'ed library).
__attribute__((tls_model("initial-exec"))) thread_local EntryFrame*
    tls_current_entry = nullptr;

std::atomic<uintptr_t> g_trap_landing_pc{0};

}  // namespace

EntryFrame* CurrentEntryFrame() { return tls_current_entry; }
void SetCurrentEntryFrame(EntryFrame* frame) { tls_current_entry = frame; }

uintptr_t TrapLandingPc() {
  return g_trap_landing_pc.load(std::memory_order_acquire);
}
void SetTrapLandingPc(uintptr_t pc) {
  g_trap_landing_pc.store(pc, std::memory_order_release);
}

}  // namespace kiln::runtime
