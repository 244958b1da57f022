#include "runtime/traps/entry.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "runtime/code/code_memory.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/entry_trampolines.h"
#include "runtime/traps/signal_handlers.h"

#if defined(__SANITIZE_ADDRESS__)
#define KILN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_ASAN 1
#endif
#endif
#ifdef KILN_ASAN
// Unpoisons the stack from the caller's frame upwards (what the compiler
// calls before a noreturn call such as longjmp).
extern "C" void __asan_handle_no_return();
#endif

namespace kiln::runtime {
namespace {

using internal::EntryTrampolines;

// std::call_once behind an acquire flag, not absl::call_once: Debian's
// abseil is prebuilt without TSan, which then misses the hand-over to a
// thread that waited in absl's slow path (engines made on several threads
// at once; commit b78d4dd had the same with memory images). pthread_once,
// under std::call_once, is intercepted. g_init_done is set last (release):
// once seen, g_init_status and g_trampolines are readable.
std::once_flag g_init_once;
std::atomic<bool> g_init_done{false};
absl::Status* g_init_status = nullptr;
EntryTrampolines* g_trampolines = nullptr;

void DoInit() {
  absl::Status status = InstallSignalHandlers();
  if (status.ok()) {
    auto t = internal::GenerateEntryTrampolines();
    if (t.ok()) {
      g_trampolines = new EntryTrampolines(*std::move(t));
      SetTrapLandingPc(g_trampolines->landing);
      internal::g_typed_entry0 = g_trampolines->typed0;
    } else {
      status = t.status();
    }
  }
  g_init_status = new absl::Status(std::move(status));
}

Trap MakeTrap(const TrapRecord& record) {
  Trap trap;
  trap.code = record.code;
  trap.signal = record.signal;
  trap.pc = record.pc;
  trap.fault_address = record.fault_address;
  trap.backtrace = SymbolizeBacktrace(
      absl::Span<const uintptr_t>(record.frames, record.num_frames),
      record.first_frame_exact);
  trap.backtrace_truncated = record.truncated;
  return trap;
}

// Entry trampolines with stack arguments, generated on first use.
constexpr uint32_t kCachedTypedEntries = 64;
std::atomic<const void*> g_typed_entries[kCachedTypedEntries];
absl::Mutex g_typed_mu;
// Owns the code of every generated typed entry (never freed: compiled
// code of any engine may hold the pointers).
std::vector<std::unique_ptr<CodeMemory>>* g_typed_code
    ABSL_GUARDED_BY(g_typed_mu) = nullptr;
absl::flat_hash_map<uint32_t, const void*>* g_typed_big
    ABSL_GUARDED_BY(g_typed_mu) = nullptr;

absl::StatusOr<const void*> GenerateTypedEntry(uint32_t n) {
  auto memory = internal::GenerateTypedEntryTrampoline(n);
  if (!memory.ok()) return memory.status();
  const void* entry = reinterpret_cast<const void*>((*memory)->start());
  if (g_typed_code == nullptr) {
    g_typed_code = new std::vector<std::unique_ptr<CodeMemory>>();
  }
  g_typed_code->push_back(*std::move(memory));
  return entry;
}

}  // namespace

namespace internal {

const void* g_typed_entry0 = nullptr;

uintptr_t PrepareThread() {
  absl::Status status = InitTrapHandling();
  if (status.ok()) status = EnsureSignalStack();
  if (!status.ok()) {
    std::fprintf(stderr, "kiln: cannot enter wasm: %s\n",
                 status.ToString().c_str());
    std::abort();
  }
  const StackBounds bounds = CurrentThreadStackBounds();
  tls_activation.stack_floor = bounds.low + kHostStackReserve;
  return tls_activation.stack_floor;
}

}  // namespace internal

absl::StatusOr<const void*> EntryTrampoline(uint32_t num_stack_args) {
  if (num_stack_args == 0) {
    // Through the flag's acquire, not a plain read of g_trampolines; once
    // set up, no Status is copied (TypedFunc::Create runs this per call
    // of GetTypedFunc).
    if (ABSL_PREDICT_FALSE(!g_init_done.load(std::memory_order_acquire) ||
                           g_trampolines == nullptr)) {
      absl::Status status = InitTrapHandling();
      if (!status.ok()) return status;
    }
    return g_trampolines->typed0;
  }
  if (num_stack_args > (1u << 16)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EntryTrampoline: ", num_stack_args, " stack arguments"));
  }
  if (num_stack_args < kCachedTypedEntries) {
    if (const void* p =
            g_typed_entries[num_stack_args].load(std::memory_order_acquire)) {
      return p;
    }
  }
  absl::MutexLock lock(&g_typed_mu);
  if (num_stack_args < kCachedTypedEntries) {
    if (const void* p =
            g_typed_entries[num_stack_args].load(std::memory_order_relaxed)) {
      return p;
    }
    absl::StatusOr<const void*> p = GenerateTypedEntry(num_stack_args);
    if (p.ok()) {
      g_typed_entries[num_stack_args].store(*p, std::memory_order_release);
    }
    return p;
  }
  if (g_typed_big == nullptr) {
    g_typed_big = new absl::flat_hash_map<uint32_t, const void*>();
  }
  auto it = g_typed_big->find(num_stack_args);
  if (it != g_typed_big->end()) return it->second;
  absl::StatusOr<const void*> p = GenerateTypedEntry(num_stack_args);
  if (p.ok()) g_typed_big->emplace(num_stack_args, *p);
  return p;
}

Trap FrameTrap(const EntryFrame& frame) { return MakeTrap(frame.trap); }

absl::Status InitTrapHandling() {
  if (ABSL_PREDICT_FALSE(!g_init_done.load(std::memory_order_acquire))) {
    std::call_once(g_init_once, [] {
      DoInit();
      g_init_done.store(true, std::memory_order_release);
    });
  }
  return *g_init_status;
}

bool InWasmActivation() { return CurrentEntryFrame() != nullptr; }

std::optional<Trap> EnterWasm(WasmCall& call) {
  if (ABSL_PREDICT_FALSE(internal::tls_activation.stack_floor == 0)) {
    internal::PrepareThread();
  }
  EntryFrame frame;
  frame.trap.trapped = false;
  frame.prev = CurrentEntryFrame();
  frame.limits = call.limits;
  if (abi::VMRuntimeLimits* limits = call.limits) {
    frame.saved_stack_limit = limits->stack_limit;
    frame.saved_exit_fp = limits->last_wasm_exit_fp;
    frame.saved_exit_pc = limits->last_wasm_exit_pc;
    if (limits->stack_limit == abi::kStackLimitUnset) {
      limits->stack_limit = ComputeStackLimitHere(call.max_wasm_stack);
      limits->last_wasm_entry_sp =
          reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    }
    limits->last_wasm_exit_fp = 0;
    limits->last_wasm_exit_pc = 0;
  }
  SetCurrentEntryFrame(&frame);
  const int returned = g_trampolines->enter(&frame, &call);
  // Possibly on another thread now (a fiber resumed there).
  SetCurrentEntryFrameAfterCall(frame.prev);
  if (abi::VMRuntimeLimits* limits = call.limits) {
    if (frame.saved_stack_limit == abi::kStackLimitUnset) {
      limits->last_wasm_entry_sp = 0;
    }
    limits->stack_limit = frame.saved_stack_limit;
    limits->last_wasm_exit_fp = frame.saved_exit_fp;
    limits->last_wasm_exit_pc = frame.saved_exit_pc;
  }
  if (returned && !frame.trap.trapped) {
    call.ret_int[0] = frame.ret_int[0];
    call.ret_int[1] = frame.ret_int[1];
    std::memcpy(call.ret_vec, frame.ret_vec, sizeof(call.ret_vec));
    return std::nullopt;
  }
  return MakeTrap(frame.trap);
}

// Kept out of line with a real frame so the walk below starts from a
// well-formed frame chain.
[[noreturn]] __attribute__((noinline)) void RaiseTrap(abi::TrapCode code) {
  EntryFrame* entry = CurrentEntryFrame();
  if (entry == nullptr) {
    std::fprintf(stderr,
                 "kiln: RaiseTrap(%s) called with no wasm activation on this "
                 "thread\n",
                 std::string(abi::TrapMessage(code)).c_str());
    std::abort();
  }
  TrapRecord& trap = entry->trap;
  trap.code = code;
  trap.trapped = true;
  trap.signal = 0;
  trap.pc = 0;
  trap.fault_address = 0;
  trap.first_frame_exact = false;
  trap.truncated = false;
  trap.num_frames = 0;
  const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  trap.fp = here;
  const abi::VMRuntimeLimits* limits = entry->limits;
  const uintptr_t stop = OutermostEntryFp(entry);
  if (limits != nullptr && limits->last_wasm_exit_fp > here &&
      limits->last_wasm_exit_fp < entry->entry_fp) {
    // The backend recorded where wasm called out: start there.
    trap.frames[trap.num_frames++] = limits->last_wasm_exit_pc;
    CollectWasmReturnAddresses(limits->last_wasm_exit_fp, here, stop,
                               absl::Span<uintptr_t>(trap.frames),
                               &trap.num_frames, &trap.truncated);
  } else {
    CollectWasmReturnAddresses(here, here, stop,
                               absl::Span<uintptr_t>(trap.frames),
                               &trap.num_frames, &trap.truncated);
  }
#ifdef KILN_ASAN
  // The frames between here and the entry (this one included) never run
  // their epilogues: clear their stack redzones, or later frames at those
  // addresses report false stack-buffer-overflows.
  __asan_handle_no_return();
#endif
  g_trampolines->unwind(entry->entry_sp);
  __builtin_unreachable();
}

}  // namespace kiln::runtime
