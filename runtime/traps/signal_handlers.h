// Kiln's SIGSEGV / SIGBUS / SIGILL / SIGFPE handlers.
//
// A SIGSEGV / SIGBUS at an address a registered FaultResolver covers (a
// pooled memory that commits its pages on first touch) goes to it first;
// when it makes the page accessible, the instruction is retried.
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

#include <cstdint>

#include "absl/status/status.h"

namespace kiln::runtime {

// Resolves a fault at `address` inside a range whose owner makes pages
// accessible on first touch (the pooling allocator commits the tail of a
// memory lazily, runtime/pool/pooling_allocator.h). Returns true when the
// address is accessible now, so the faulting instruction is retried.
// Called from the signal handler: async-signal-safe, no allocation.
using FaultResolver = bool (*)(void* owner, uintptr_t address);

// Asks the handlers to call `resolver(owner, address)` first for every
// SIGSEGV / SIGBUS an instruction raises at an address in [begin, end),
// from any code (wasm, a builtin's memcpy, the host). Returns false when
// the handlers cannot be installed or all kMaxFaultResolvers are taken
// (the owner then commits eagerly). Remove it before the range goes away.
inline constexpr int kMaxFaultResolvers = 64;
bool AddFaultResolver(uintptr_t begin, uintptr_t end, FaultResolver resolver,
                      void* owner);
void RemoveFaultResolver(void* owner);

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
