// Kiln's SIGSEGV / SIGBUS / SIGILL / SIGFPE handlers.
//
// A fault is a wasm trap when (1) this thread has an active wasm entry
// (CurrentEntryFrame() != nullptr) and (2) the faulting pc is a trap site in
// registered wasm code (CodeRegistry + the range's trap table). Then the
// handler records the trap (code, pc, fp, raw backtrace) in the innermost
// EntryFrame and edits the interrupted context (machine_context.h: pc =
// trap landing, stack pointer = EntryFrame::entry_sp) so that returning
// from the handler resumes in the entry trampoline, which restores the callee-saved registers it
// saved and returns "trapped" to EnterWasm. No sigsetjmp/siglongjmp: the
// kernel restores the signal mask on sigreturn.
//
// Any other fault is passed to the handler that was installed before
// Kiln's: an SA_SIGINFO handler gets (sig, info, context); a plain handler
// gets (sig); SIG_IGN returns; SIG_DFL is reinstated and the signal
// re-raised, so the process dies the way it would have without Kiln. A
// handler installed after Kiln's replaces it (Kiln cannot see wasm traps
// then); install host handlers first, or chain to Kiln's yourself.
#ifndef KILN_RUNTIME_TRAPS_SIGNAL_HANDLERS_H_
#define KILN_RUNTIME_TRAPS_SIGNAL_HANDLERS_H_

#include "absl/status/status.h"

namespace kiln::runtime {

// Installs the handlers once per process; thread-safe and idempotent.
// Returns the first failure (sigaction error) on every call.
absl::Status InstallSignalHandlers();

// Makes sure this thread has an alternate signal stack big enough for the
// handler (so a fault on an exhausted stack can still be handled); creates
// one if the thread has none, freed at thread exit. Cheap after the first
// call on a thread.
absl::Status EnsureSignalStack();

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_SIGNAL_HANDLERS_H_
