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
#include <type_traits>

#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/stack_limit.h"

namespace kiln::runtime {

// Frames kept in a trap's backtrace (innermost first; deeper ones dropped).
inline constexpr size_t kMaxBacktraceFrames = 256;

// What the handler (or RaiseTrap) records about a trap. Only `trapped` is
// initialised on entry (the fast path must not touch the rest); the handler
// and RaiseTrap write every other field before setting it.
struct TrapRecord {
  abi::TrapCode code;
  bool trapped;
  // frames[0] is the faulting pc itself (a signal trap); otherwise every
  // entry is a return address.
  bool first_frame_exact;
  bool truncated;
  int signal;                 // 0 for RaiseTrap
  uintptr_t pc;               // faulting pc (0 for RaiseTrap)
  uintptr_t fp;               // frame pointer at the fault
  uintptr_t fault_address;    // si_addr for SIGSEGV/SIGBUS
  size_t num_frames;
  uintptr_t frames[kMaxBacktraceFrames];
};

// One active wasm entry on this thread. Lives on the C++ stack of whoever
// entered (EnterWasm, TypedFunc::Call, Func::Call); the first fields are
// read and written by the generated entry trampolines. Deliberately has no
// default member initialisers: BeginEntry (entry.h) sets what it needs.
struct EntryFrame {
  // --- Written by the trampoline; offsets are ABI (asserted below).
  // Stack pointer at which the trap landing resumes (callee-saved
  // registers are saved just above it).
  uintptr_t entry_sp;
  // The entry trampoline's frame pointer: the frame-pointer walk of a backtrace
  // stops here.
  uintptr_t entry_fp;
  // --- Read by the typed entry trampolines (EntryTrampoline in entry.h):
  // the function to call and the value it gets as its second argument
  // (the caller VMContext).
  const void* code;
  void* arg1;
  // --- Written by the generic EnterWasm trampoline: the callee's two integer
  // result registers and first float/vector result register after a
  // normal return.
  uint64_t ret_int[2];
  alignas(16) uint64_t ret_vec[2];  // not a char array: no stack protector
  // --- Managed by BeginEntry / EndEntry (C++).
  EntryFrame* prev;
  abi::VMRuntimeLimits* limits;
  uintptr_t saved_stack_limit;
  uintptr_t saved_exit_fp;
  uintptr_t saved_exit_pc;
  TrapRecord trap;
};

inline constexpr uint32_t kEntryFrameEntrySp = 0;
inline constexpr uint32_t kEntryFrameEntryFp = 8;
inline constexpr uint32_t kEntryFrameCode = 16;
inline constexpr uint32_t kEntryFrameArg1 = 24;
inline constexpr uint32_t kEntryFrameRetInt0 = 32;
inline constexpr uint32_t kEntryFrameRetInt1 = 40;
inline constexpr uint32_t kEntryFrameRetVec0 = 48;
static_assert(offsetof(EntryFrame, entry_sp) == kEntryFrameEntrySp);
static_assert(offsetof(EntryFrame, entry_fp) == kEntryFrameEntryFp);
static_assert(offsetof(EntryFrame, code) == kEntryFrameCode);
static_assert(offsetof(EntryFrame, arg1) == kEntryFrameArg1);
static_assert(offsetof(EntryFrame, ret_int) == kEntryFrameRetInt0);
static_assert(offsetof(EntryFrame, ret_int) + 8 == kEntryFrameRetInt1);
static_assert(offsetof(EntryFrame, ret_vec) == kEntryFrameRetVec0);
static_assert(std::is_trivially_default_constructible_v<EntryFrame>);

// The per-thread entry list and stack floor are in
// internal::tls_activation (stack_limit.h).

// The innermost active entry on this thread, or nullptr when no wasm
// activation is on the stack. Async-signal-safe.
inline EntryFrame* CurrentEntryFrame() {
  return internal::tls_activation.entry;
}
inline void SetCurrentEntryFrame(EntryFrame* frame) {
  internal::tls_activation.entry = frame;
}

namespace internal {
// SetCurrentEntryFrameAfterCall's store, out of line (noinline).
void SetCurrentEntryFrameOutOfLine(EntryFrame* frame);
}  // namespace internal

// SetCurrentEntryFrame after a call into wasm, which may return on another
// thread: wasm on a fiber suspends (an async host call) and another thread
// resumes the fiber (a waker polling inline, an event loop thread). The
// compiler assumes a function stays on one thread and may keep the thread
// pointer it read before the call (AArch64's TPIDR_EL0) in a callee-saved
// register: the store then went to the first thread's entry list and left
// this thread's pointing at the returned frame, which the fiber kept as its
// own; its next entry, at the same address, linked to itself and
// RaiseTrap's walk spun forever. Out of line, the thread pointer is read
// at the store. On x86-64 a TLS store addresses through %fs in the
// instruction itself (no thread pointer in a register), so it stays
// inline there; tests/async's calls resumed on another thread check both.
inline void SetCurrentEntryFrameAfterCall(EntryFrame* frame) {
#if defined(__x86_64__)
  internal::tls_activation.entry = frame;
#else
  internal::SetCurrentEntryFrameOutOfLine(frame);
#endif
}

// The outermost active entry's trampoline frame pointer: a backtrace walk
// stops there, so it covers every activation on this thread (through the
// host frames between nested entries when those keep frame pointers).
// `frame` must be the current (innermost) entry. Async-signal-safe.
inline uintptr_t OutermostEntryFp(const EntryFrame* frame) {
  while (frame->prev != nullptr) frame = frame->prev;
  return frame->entry_fp;
}

// Address of the trap landing pad in the entry trampolines: resuming there with
// the stack pointer = EntryFrame::entry_sp makes the trampoline return "trapped".
// 0 until the trampolines are generated.
uintptr_t TrapLandingPc();
void SetTrapLandingPc(uintptr_t pc);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_CALL_THREAD_STATE_H_
