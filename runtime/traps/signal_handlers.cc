#include "runtime/traps/signal_handlers.h"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "runtime/code/code_registry.h"
#include "runtime/traps/backtrace.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/machine_context.h"

#if !(defined(__x86_64__) || defined(__aarch64__)) || !defined(__linux__)
#error "runtime/traps supports x86-64 and AArch64 Linux only (trampolines, ucontext)"
#endif

namespace kiln::runtime {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
constexpr int kNumSignals = sizeof(kSignals) / sizeof(kSignals[0]);

// Handlers that were installed before ours, indexed like kSignals. Written
// before our handler is installed, read-only afterwards.
struct sigaction g_previous[kNumSignals];
// std::call_once, not absl's (as InitTrapHandling, runtime/traps/entry.cc:
// Debian's abseil is not built with TSan).
std::once_flag g_install_once;
absl::Status* g_install_status = nullptr;

// AddFaultResolver's table: a slot is free while `resolver` is null; the
// owner and range are written before the resolver is published (release)
// and read after it (acquire).
struct ResolverSlot {
  std::atomic<FaultResolver> resolver{nullptr};
  std::atomic<void*> owner{nullptr};
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
};
ResolverSlot g_resolvers[kMaxFaultResolvers];
std::mutex g_resolvers_mu;  // serializes Add / Remove (not the handler)

bool ResolveLazyFault(int sig, siginfo_t* info) {
  if ((sig != SIGSEGV && sig != SIGBUS) || info == nullptr ||
      info->si_code <= 0) {
    return false;
  }
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (ResolverSlot& slot : g_resolvers) {
    const FaultResolver resolver =
        slot.resolver.load(std::memory_order_acquire);
    if (resolver == nullptr) continue;
    if (address < slot.begin.load(std::memory_order_relaxed) ||
        address >= slot.end.load(std::memory_order_relaxed)) {
      continue;
    }
    return resolver(slot.owner.load(std::memory_order_relaxed), address);
  }
  return false;
}

int SignalSlot(int sig) {
  for (int i = 0; i < kNumSignals; ++i) {
    if (kSignals[i] == sig) return i;
  }
  return -1;
}

// Hands a fault that is not a wasm trap to the previous handler.
void ChainToPrevious(int sig, siginfo_t* info, void* context) {
  const int slot = SignalSlot(sig);
  if (slot < 0) return;
  const struct sigaction& prev = g_previous[slot];
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, context);
    return;
  }
  if (prev.sa_handler == SIG_IGN) return;
  if (prev.sa_handler == SIG_DFL) {
    // Reinstate the default action and let the signal happen again: a
    // hardware fault recurs when the instruction re-executes; a signal sent
    // with kill/raise is re-raised here (it stays blocked until we return).
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, nullptr);
    if (info == nullptr || info->si_code <= 0) raise(sig);
    return;
  }
  prev.sa_handler(sig);
}

// Returns true if the fault was a wasm trap and the context now resumes at
// the trap landing.
bool HandleWasmTrap(int sig, siginfo_t* info, ucontext_t* uc) {
  EntryFrame* entry = CurrentEntryFrame();
  if (entry == nullptr) return false;
  // Only faults the kernel raised for an instruction (si_code > 0), not a
  // signal some thread sent with kill/raise/sigqueue (si_code <= 0).
  if (info == nullptr || info->si_code <= 0) return false;
  const uintptr_t landing = TrapLandingPc();
  if (landing == 0) return false;
  const InterruptedState state = ReadInterruptedState(uc);
  const uintptr_t pc = state.pc;
  const CodeRange* range = CodeRegistry::Global().Lookup(pc);
  if (range == nullptr) return false;
  const std::optional<abi::TrapCode> code = range->LookupTrap(pc);
  if (!code.has_value()) return false;

  const uintptr_t fp = state.fp;
  const uintptr_t sp = state.sp;
  TrapRecord& trap = entry->trap;
  trap.code = *code;
  trap.trapped = true;
  trap.signal = sig;
  trap.pc = pc;
  trap.fp = fp;
  trap.fault_address =
      (sig == SIGSEGV || sig == SIGBUS) && info != nullptr
          ? reinterpret_cast<uintptr_t>(info->si_addr)
          : 0;
  trap.first_frame_exact = true;
  trap.truncated = false;
  trap.frames[0] = pc;
  trap.num_frames = 1;
  CollectWasmReturnAddresses(fp, sp, OutermostEntryFp(entry),
                             absl::Span<uintptr_t>(trap.frames),
                             &trap.num_frames, &trap.truncated);

  ResumeAt(uc, landing, entry->entry_sp);
  return true;
}

void KilnSignalHandler(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  const bool handled =
      ResolveLazyFault(sig, info) ||
      HandleWasmTrap(sig, info, static_cast<ucontext_t*>(context));
  errno = saved_errno;
  if (!handled) ChainToPrevious(sig, info, context);
}

absl::Status DoInstall() {
  // Create the registry now: its first use must not be inside the handler
  // (function-local static initialisation allocates).
  (void)CodeRegistry::Global();
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_sigaction = KilnSignalHandler;
  // SA_ONSTACK: run on the alternate stack when the thread has one (a fault
  // may come from an exhausted stack). No SA_NODEFER: a fault inside the
  // handler itself then kills the process instead of recursing.
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < kNumSignals; ++i) {
    if (sigaction(kSignals[i], nullptr, &g_previous[i]) != 0 ||
        sigaction(kSignals[i], &action, nullptr) != 0) {
      return absl::InternalError(absl::StrCat(
          "InstallSignalHandlers: sigaction(", strsignal(kSignals[i]),
          ") failed: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

// Size of the alternate signal stacks Kiln creates.
constexpr size_t kSignalStackSize = size_t{64} << 10;

// Owns the alternate stack Kiln installed on this thread, if any.
class SignalStack {
 public:
  ~SignalStack() {
    if (mapping_ == nullptr) return;
    // Only remove it if it is still the thread's alternate stack.
    stack_t current;
    if (sigaltstack(nullptr, &current) == 0 &&
        current.ss_sp == static_cast<char*>(mapping_) + guard_) {
      stack_t disable;
      std::memset(&disable, 0, sizeof(disable));
      disable.ss_flags = SS_DISABLE;
      sigaltstack(&disable, nullptr);
    }
    munmap(mapping_, guard_ + kSignalStackSize);
  }

  absl::Status Ensure() {
    if (checked_) return absl::OkStatus();
    stack_t current;
    if (sigaltstack(nullptr, &current) != 0) {
      return absl::InternalError(absl::StrCat(
          "EnsureSignalStack: sigaltstack failed: ", std::strerror(errno)));
    }
    if (!(current.ss_flags & SS_DISABLE) && current.ss_size >= kSignalStackSize) {
      checked_ = true;  // the host's stack is big enough
      return absl::OkStatus();
    }
    guard_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, guard_ + kSignalStackSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "EnsureSignalStack: mmap failed: ", std::strerror(errno)));
    }
    mprotect(p, guard_, PROT_NONE);  // overflow of the handler faults
    stack_t stack;
    std::memset(&stack, 0, sizeof(stack));
    stack.ss_sp = static_cast<char*>(p) + guard_;
    stack.ss_size = kSignalStackSize;
    if (sigaltstack(&stack, nullptr) != 0) {
      munmap(p, guard_ + kSignalStackSize);
      return absl::InternalError(absl::StrCat(
          "EnsureSignalStack: sigaltstack failed: ", std::strerror(errno)));
    }
    mapping_ = p;
    checked_ = true;
    return absl::OkStatus();
  }

 private:
  bool checked_ = false;
  void* mapping_ = nullptr;
  size_t guard_ = 0;
};

}  // namespace

absl::Status InstallSignalHandlers() {
  std::call_once(g_install_once, [] {
    g_install_status = new absl::Status(DoInstall());
  });
  return *g_install_status;
}

bool AddFaultResolver(uintptr_t begin, uintptr_t end, FaultResolver resolver,
                      void* owner) {
  if (resolver == nullptr || begin >= end) return false;
  if (!InstallSignalHandlers().ok()) return false;
  std::lock_guard<std::mutex> lock(g_resolvers_mu);
  for (ResolverSlot& slot : g_resolvers) {
    if (slot.resolver.load(std::memory_order_relaxed) != nullptr) continue;
    slot.owner.store(owner, std::memory_order_relaxed);
    slot.begin.store(begin, std::memory_order_relaxed);
    slot.end.store(end, std::memory_order_relaxed);
    slot.resolver.store(resolver, std::memory_order_release);
    return true;
  }
  return false;
}

void RemoveFaultResolver(void* owner) {
  std::lock_guard<std::mutex> lock(g_resolvers_mu);
  for (ResolverSlot& slot : g_resolvers) {
    if (slot.resolver.load(std::memory_order_relaxed) != nullptr &&
        slot.owner.load(std::memory_order_relaxed) == owner) {
      slot.resolver.store(nullptr, std::memory_order_release);
    }
  }
}

absl::Status EnsureSignalStack() {
  thread_local SignalStack stack;
  return stack.Ensure();
}

}  // namespace kiln::runtime
