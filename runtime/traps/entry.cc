#include "runtime/traps/entry.h"

#include <asmjit/x86.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <memory>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/strings/str_cat.h"
#include "runtime/code/asmjit_code.h"
#include "runtime/code/code_memory.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/signal_handlers.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "runtime/traps supports x86-64 Linux only (trampolines, ucontext)"
#endif

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

// kiln_enter(EntryFrame*, const WasmCall*) -> 1 returned / 0 trapped.
using EnterFn = int (*)(EntryFrame*, const WasmCall*);
// kiln_unwind(entry_sp): resumes at the trap landing. Never returns.
using UnwindFn = void (*)(uintptr_t);

// WasmCall fields the trampoline reads.
constexpr int32_t kCallFn = offsetof(WasmCall, fn);
constexpr int32_t kCallArgs = offsetof(WasmCall, args);
constexpr int32_t kCallFloatArgs = offsetof(WasmCall, float_args);
constexpr int32_t kCallStackArgs = offsetof(WasmCall, stack_args);
constexpr int32_t kCallNumStackArgs = offsetof(WasmCall, num_stack_args);

struct Trampolines {
  std::unique_ptr<CodeMemory> code;
  EnterFn enter = nullptr;
  UnwindFn unwind = nullptr;
  uintptr_t landing = 0;
  const void* typed0 = nullptr;  // EntryTrampoline(0)
};

// Every entry trampoline has the same frame, so one trap landing serves
// them all: [rbp] caller rbp, rbp-8..-40 rbx r12 r13 r14 r15, rbp-48 the
// EntryFrame*; entry_sp = rbp - 48 (16-byte aligned).
void EmitEntryPrologue(asmjit::x86::Assembler& a, const asmjit::x86::Gp& frame) {
  using namespace asmjit::x86;
  a.push(rbp);
  a.mov(rbp, rsp);
  a.push(rbx);
  a.push(r12);
  a.push(r13);
  a.push(r14);
  a.push(r15);
  a.push(frame);
  a.mov(ptr(frame, kEntryFrameEntrySp), rsp);
  a.mov(ptr(frame, kEntryFrameEntryFp), rbp);
}

void EmitEntryEpilogue(asmjit::x86::Assembler& a) {
  using namespace asmjit::x86;
  a.add(rsp, 8);  // rsp = entry_sp on the way in
  a.pop(r15);
  a.pop(r14);
  a.pop(r13);
  a.pop(r12);
  a.pop(rbx);
  a.pop(rbp);
  a.ret();
}

// The typed entry trampoline for `n` stack slots (see entry.h):
// R(void* a0, EntryFrame* rsi, rest...).
void EmitTypedEntry(asmjit::x86::Assembler& a, uint32_t n) {
  using namespace asmjit::x86;
  EmitEntryPrologue(a, rsi);
  a.mov(rax, ptr(rsi, kEntryFrameCode));
  a.mov(rsi, ptr(rsi, kEntryFrameArg1));
  if (n > 0) {
    const int32_t bytes = static_cast<int32_t>((8 * uint64_t{n} + 15) & ~uint64_t{15});
    a.sub(rsp, bytes);
    for (uint32_t i = 0; i < n; ++i) {
      a.mov(r11, ptr(rbp, static_cast<int32_t>(16 + 8 * i)));
      a.mov(ptr(rsp, static_cast<int32_t>(8 * i)), r11);
    }
  }
  a.call(rax);
  if (n > 0) a.lea(rsp, ptr(rbp, -48));
  EmitEntryEpilogue(a);
}

absl::StatusOr<Trampolines> GenerateTrampolines() {
  using namespace asmjit;
  using namespace asmjit::x86;
  CodeHolder code;
  code.init(Environment::host());
  Assembler a(&code);
  Label epilogue = a.newLabel();
  Label landing = a.newLabel();
  Label unwind = a.newLabel();
  Label copy_loop = a.newLabel();
  Label copy_done = a.newLabel();

  // --- enter(EntryFrame* rdi, const WasmCall* rsi)
  EmitEntryPrologue(a, rdi);
  a.mov(r13, rdi);  // EntryFrame*, callee-saved across the call
  a.mov(r12, rsi);  // WasmCall*
  // Stack arguments: reserve 16-byte aligned space and copy them.
  a.mov(rcx, ptr(r12, kCallNumStackArgs));
  a.lea(rax, ptr(rcx, rcx, 0));  // rax = round_up(8 * n, 16)
  a.shl(rax, 2);
  a.add(rax, 15);
  a.and_(rax, -16);
  a.sub(rsp, rax);
  a.mov(rsi, ptr(r12, kCallStackArgs));
  a.xor_(eax, eax);
  a.bind(copy_loop);
  a.cmp(rax, rcx);
  a.jae(copy_done);
  a.mov(rdx, ptr(rsi, rax, 3));
  a.mov(ptr(rsp, rax, 3), rdx);
  a.inc(rax);
  a.jmp(copy_loop);
  a.bind(copy_done);
  // Register arguments.
  const Xmm xmms[] = {xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7};
  for (int i = 0; i < 8; ++i) {
    a.movq(xmms[i], ptr(r12, kCallFloatArgs + 8 * i));
  }
  const Gp gprs[] = {rdi, rsi, rdx, rcx, r8, r9};
  for (int i = 0; i < 6; ++i) a.mov(gprs[i], ptr(r12, kCallArgs + 8 * i));
  a.call(ptr(r12, kCallFn));
  a.mov(ptr(r13, kEntryFrameRetRax), rax);
  a.mov(ptr(r13, kEntryFrameRetRdx), rdx);
  a.movdqu(ptr(r13, kEntryFrameRetXmm0), xmm0);
  a.mov(eax, 1);
  a.lea(rsp, ptr(rbp, -48));  // drop the stack arguments
  a.bind(epilogue);           // rsp = entry_sp
  EmitEntryEpilogue(a);

  // --- trap landing: entered with rsp = EntryFrame::entry_sp.
  a.align(AlignMode::kCode, 16);
  a.bind(landing);
  a.xor_(eax, eax);
  a.jmp(epilogue);

  // --- unwind(entry_sp)
  a.align(AlignMode::kCode, 16);
  a.bind(unwind);
  a.mov(rsp, rdi);
  a.jmp(landing);

  // --- typed entry, no stack arguments.
  a.align(AlignMode::kCode, 16);
  Label typed0 = a.newLabel();
  a.bind(typed0);
  EmitTypedEntry(a, 0);

  auto memory = PublishAsmjitCode(code);
  if (!memory.ok()) return memory.status();
  Trampolines t;
  const uintptr_t base = (*memory)->start();
  t.enter = reinterpret_cast<EnterFn>(base);
  t.landing = base + code.labelOffsetFromBase(landing);
  t.unwind = reinterpret_cast<UnwindFn>(base + code.labelOffsetFromBase(unwind));
  t.typed0 = reinterpret_cast<const void*>(base + code.labelOffsetFromBase(typed0));
  t.code = *std::move(memory);
  return t;
}

absl::once_flag g_init_once;
absl::Status* g_init_status = nullptr;
Trampolines* g_trampolines = nullptr;

void DoInit() {
  absl::Status status = InstallSignalHandlers();
  if (status.ok()) {
    auto t = GenerateTrampolines();
    if (t.ok()) {
      g_trampolines = new Trampolines(*std::move(t));
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
  using namespace asmjit;
  CodeHolder code;
  code.init(Environment::host());
  x86::Assembler a(&code);
  EmitTypedEntry(a, n);
  auto memory = PublishAsmjitCode(code);
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
  tls_stack_floor = bounds.low + kHostStackReserve;
  return tls_stack_floor;
}

}  // namespace internal

absl::StatusOr<const void*> EntryTrampoline(uint32_t num_stack_args) {
  if (num_stack_args == 0) {
    if (g_trampolines == nullptr) {
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
  absl::call_once(g_init_once, DoInit);
  return *g_init_status;
}

bool InWasmActivation() { return CurrentEntryFrame() != nullptr; }

std::optional<Trap> EnterWasm(WasmCall& call) {
  if (ABSL_PREDICT_FALSE(internal::tls_stack_floor == 0)) {
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
  SetCurrentEntryFrame(frame.prev);
  if (abi::VMRuntimeLimits* limits = call.limits) {
    if (frame.saved_stack_limit == abi::kStackLimitUnset) {
      limits->last_wasm_entry_sp = 0;
    }
    limits->stack_limit = frame.saved_stack_limit;
    limits->last_wasm_exit_fp = frame.saved_exit_fp;
    limits->last_wasm_exit_pc = frame.saved_exit_pc;
  }
  if (returned && !frame.trap.trapped) {
    call.ret_rax = frame.ret_rax;
    call.ret_rdx = frame.ret_rdx;
    std::memcpy(call.ret_xmm0, frame.ret_xmm0, sizeof(call.ret_xmm0));
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
