// Per-thread state of wasm activations: the stack of entry frames that
// EnterWasm pushes and the trap handler / RaiseTrap unwind to.
//
// Internal to runtime/traps (engine code uses entry.h). Everything here that
// the signal handler touches is trivially constructible and lives either in
// initial-exec TLS (one pointer) or in the EntryFrame on the entering
// thread's stack, so the handler never allocates or takes locks.
#ifndef KILN_RUNTIME_TRAPS_CALL_THREAD_STATE_H_
#define KILN_RUNTIME_TRAPS_CALL_THREAD_STATE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln::runtime {

// Frames kept in a trap's backtrace (innermost first; deeper ones dropped).
inline constexpr size_t kMaxBacktraceFrames = 256;

// What the handler (or RaiseTrap) records about a trap.
struct TrapRecord {
  abi::TrapCode code = abi::TrapCode::kUnreachableCodeReached;
  bool trapped = false;
  // frames[0] is the faulting pc itself (a signal trap); otherwise every
  // entry is a return address.
  bool first_frame_exact = false;
  bool truncated = false;
  int signal = 0;             // 0 for RaiseTrap
  uintptr_t pc = 0;           // faulting pc (0 for RaiseTrap)
  uintptr_t fp = 0;           // frame pointer at the fault
  uintptr_t fault_address = 0;  // si_addr for SIGSEGV/SIGBUS
  size_t num_frames = 0;
  uintptr_t frames[kMaxBacktraceFrames];
};

// One active EnterWasm on this thread. Lives on the C++ stack of EnterWasm;
// the first fields are written by the generated entry trampoline.
struct EntryFrame {
  // --- Written by the trampoline; offsets are ABI (asserted below).
  // rsp at which the trap landing resumes (callee-saved registers are
  // saved just above it).
  uintptr_t entry_sp = 0;
  // The trampoline's rbp: the frame-pointer walk of a backtrace stops here.
  uintptr_t entry_fp = 0;
  // The callee's return registers after a normal return.
  uint64_t ret_rax = 0;
  uint64_t ret_rdx = 0;
  alignas(16) uint8_t ret_xmm0[16] = {};
  // --- Managed by EnterWasm (C++).
  EntryFrame* prev = nullptr;
  abi::VMRuntimeLimits* limits = nullptr;
  uintptr_t saved_stack_limit = 0;
  uintptr_t saved_exit_fp = 0;
  uintptr_t saved_exit_pc = 0;
  TrapRecord trap;
};

inline constexpr uint32_t kEntryFrameEntrySp = 0;
inline constexpr uint32_t kEntryFrameEntryFp = 8;
inline constexpr uint32_t kEntryFrameRetRax = 16;
inline constexpr uint32_t kEntryFrameRetRdx = 24;
inline constexpr uint32_t kEntryFrameRetXmm0 = 32;
static_assert(offsetof(EntryFrame, entry_sp) == kEntryFrameEntrySp);
static_assert(offsetof(EntryFrame, entry_fp) == kEntryFrameEntryFp);
static_assert(offsetof(EntryFrame, ret_rax) == kEntryFrameRetRax);
static_assert(offsetof(EntryFrame, ret_rdx) == kEntryFrameRetRdx);
static_assert(offsetof(EntryFrame, ret_xmm0) == kEntryFrameRetXmm0);

namespace internal {
// initial-exec: reading it in a signal handler never calls __tls_get_addr
// (which may allocate on first use in a dlopen'ed library).
extern __attribute__((tls_model("initial-exec"))) thread_local EntryFrame*
    tls_current_entry;
}  // namespace internal

// The innermost active entry on this thread, or nullptr when no wasm
// activation is on the stack. Async-signal-safe.
inline EntryFrame* CurrentEntryFrame() { return internal::tls_current_entry; }
inline void SetCurrentEntryFrame(EntryFrame* frame) {
  internal::tls_current_entry = frame;
}

// The outermost active entry's trampoline frame pointer: a backtrace walk
// stops there, so it covers every activation on this thread (through the
// host frames between nested entries when those keep frame pointers).
// `frame` must be the current (innermost) entry. Async-signal-safe.
inline uintptr_t OutermostEntryFp(const EntryFrame* frame) {
  while (frame->prev != nullptr) frame = frame->prev;
  return frame->entry_fp;
}

// Address of the trap landing pad in the entry trampoline: resuming there
// with rsp = EntryFrame::entry_sp makes the trampoline return "trapped".
// 0 until the trampolines are generated.
uintptr_t TrapLandingPc();
void SetTrapLandingPc(uintptr_t pc);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_CALL_THREAD_STATE_H_
