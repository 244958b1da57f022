// Calling into wasm and trapping out of it.
//
// EnterWasm runs a native function as a wasm activation on this thread:
//
//   host C++ ── EnterWasm ── entry trampoline ── fn (compiled wasm) ── ...
//                  ▲  pushes an EntryFrame   saves the callee-saved regs,
//                  │  (per-thread stack)     stores sp in the EntryFrame,
//                  │                            calls fn(args...)
//                  └── returns nullopt (normal return) or the Trap
//
// A trap -- a fault at a trap site (see signal_handlers.h) or RaiseTrap
// from host code called by wasm -- resumes at the trampoline's trap
// landing with sp = EntryFrame::entry_sp; the landing restores the
// callee-saved registers and returns "trapped". Nested entries (host -> wasm
// -> host -> wasm) each push their own EntryFrame; a trap unwinds to the
// innermost one only (its backtrace still lists the outer wasm frames).
//
// The entry trampolines' machine contracts are in entry_trampolines.h; one
// ISA-neutral sequence (entry_trampolines.cc) implements them with the
// registers of the host's abi::<isa>::CallConv (runtime/abi/call_conv.h)
// and the ISA's encoding hooks (entry_emitter.h).
#ifndef KILN_RUNTIME_TRAPS_ENTRY_H_
#define KILN_RUNTIME_TRAPS_ENTRY_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/abi/call_conv.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/backtrace.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/stack_limit.h"

namespace kiln::runtime {

// A trap that ended a wasm activation.
struct Trap {
  abi::TrapCode code;
  int signal = 0;               // SIGSEGV etc., 0 for RaiseTrap
  uintptr_t pc = 0;             // faulting pc (0 for RaiseTrap)
  uintptr_t fault_address = 0;  // for SIGSEGV/SIGBUS
  // Innermost first. For a fault, backtrace[0] is the faulting function.
  // Covers every wasm activation on this thread (nested entries too), as
  // far as the host frames between them keep frame pointers.
  std::vector<WasmFrame> backtrace;
  bool backtrace_truncated = false;
};

// Installs the signal handlers and generates the entry trampoline; call
// once at engine creation (idempotent, thread-safe). EnterWasm calls it
// too and aborts if it fails, so call it first to get the error as a Status.
absl::Status InitTrapHandling();

// One call into wasm: a native function with the host's C calling
// convention (abi::HostCallConv) and only scalar parameters (integers /
// pointers in integer registers, f32/f64 in float registers, the rest on
// the stack in order) -- i.e. any compiled wasm function, whose first two
// arguments are the callee and caller VMContext*.
struct WasmCall {
  const void* fn = nullptr;
  // The integer / float argument registers, in CallConv order (f32 in the
  // low 32 bits).
  uint64_t args[abi::HostCallConv::kNumIntArgRegs] = {};
  uint64_t float_args[abi::HostCallConv::kNumFloatArgRegs] = {};
  // Stack arguments, stack_args[0] at the lowest address (8 bytes each).
  const uint64_t* stack_args = nullptr;
  uint64_t num_stack_args = 0;

  // The store's limits. On the outermost entry for this store
  // (stack_limit == kStackLimitUnset) EnterWasm sets stack_limit from
  // ComputeStackLimit(max_wasm_stack) and restores it afterwards; nested
  // entries keep the outer limit. It also saves, clears and restores
  // last_wasm_exit_fp/pc. May be null (no stack limit handling).
  abi::VMRuntimeLimits* limits = nullptr;
  size_t max_wasm_stack = kDefaultMaxWasmStack;

  // Results of a normal return: the two integer result registers and the
  // first float/vector result register.
  uint64_t ret_int[2] = {};
  uint8_t ret_vec[16] = {};
};

// Runs `call` as a wasm activation. Returns nullopt when fn returned
// normally (results in call.ret_*), or the trap. No allocation and no
// system call on the normal path after the first call on a thread.
std::optional<Trap> EnterWasm(WasmCall& call);

// Typed convenience over EnterWasm: calls fn(args...) where every
// argument is an integer, enum, pointer, float or double (any number: the
// ones that do not fit in registers go on the stack) and the result is
// void, an integer, a pointer, float or double. `result` may be null.
template <typename R, typename... A, typename... Args>
std::optional<Trap> CallWasm(R (*fn)(A...), R* result,
                             abi::VMRuntimeLimits* limits, Args... args);
template <typename... A, typename... Args>
std::optional<Trap> CallWasmVoid(void (*fn)(A...),
                                 abi::VMRuntimeLimits* limits, Args... args);

// Raises `code` from host code (a host function or builtin called by
// wasm): unwinds straight to the innermost EnterWasm, which returns the
// trap. Frames between here and there are discarded WITHOUT running
// destructors: call it only from a boundary function with no live C++
// objects that own resources (destroy them first, then raise). Aborts if no
// wasm activation is active on this thread. The backtrace starts at
// VMRuntimeLimits::last_wasm_exit_fp/pc if the backend recorded them,
// otherwise it walks the frame pointers of the host frames (host code
// built without frame pointers may then lose wasm frames).
[[noreturn]] void RaiseTrap(abi::TrapCode code);

// True if a wasm activation is active on this thread.
bool InWasmActivation();

// --- The fast entry path (TypedFunc::Call, Func::Call).
//
//   EntryFrame frame;                       // uninitialised, on the stack
//   frame.code = code; frame.arg1 = x;      // what to call, its 2nd arg
//   BeginEntry(frame, limits, max_wasm_stack);
//   R r = reinterpret_cast<R (*)(void*, EntryFrame*, A...)>(
//       EntryTrampoline(n))(first_arg, &frame, args...);
//   EndEntry(frame);
//   if (frame.trap.trapped) { Trap t = FrameTrap(frame); ... }
//
// The entry trampoline for n stack argument slots has the C signature
// R(void* a0, EntryFrame* frame, A... rest): it saves the callee-saved
// registers, records sp/fp in the frame, puts frame->arg1 in the second
// argument register, copies the n stack slots of `rest` (if any) and calls
// frame->code with every other argument register untouched, then returns
// the callee's result registers unchanged. So the arguments go from the
// C++ caller to wasm in registers. After a trap it returns through the
// trap landing with frame->trap.trapped set (the return registers then
// hold garbage). `n` is the number of stack slots the host calling
// convention gives `rest` after a0 and frame took the first two integer
// argument registers (StackSlotsFor below).
//
// BeginEntry links the frame into the thread's entry list and, on the
// outermost entry for the store (`limits->stack_limit` unset), sets the
// stack limit; EndEntry undoes both. No allocation, no system call, no
// atomics after the thread's first entry.

// The entry trampoline for `num_stack_args` stack slots (0: from the first
// call on; others generated once, then cached). Thread-safe.
absl::StatusOr<const void*> EntryTrampoline(uint32_t num_stack_args);

namespace internal {
// EntryTrampoline(0), set by InitTrapHandling (null before or if it failed).
extern const void* g_typed_entry0;
// First entry on this thread: installs the trap handlers and the alternate
// signal stack (aborts if that fails), caches the stack bounds; returns
// tls_activation.stack_floor.
uintptr_t PrepareThread();
}  // namespace internal

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void BeginEntry(
    EntryFrame& frame, abi::VMRuntimeLimits* limits, size_t max_wasm_stack) {
  frame.trap.trapped = false;
  frame.prev = internal::tls_activation.entry;
  frame.limits = limits;
  const uintptr_t limit = limits->stack_limit;
  frame.saved_stack_limit = limit;
  // last_wasm_exit_fp/pc are only set while a trap unwinds (or, if a
  // backend records them, while wasm calls out): 0 almost always, so only
  // save and clear them when they are not.
  frame.saved_exit_fp = limits->last_wasm_exit_fp;
  if (ABSL_PREDICT_FALSE(frame.saved_exit_fp != 0)) {
    frame.saved_exit_pc = limits->last_wasm_exit_pc;
    limits->last_wasm_exit_fp = 0;
    limits->last_wasm_exit_pc = 0;
  }
  if (limit == abi::kStackLimitUnset) {
    // Outermost entry of this store: the limit is
    // max(sp - max_wasm_stack, floor), never above sp (ComputeStackLimit).
    uintptr_t floor = internal::tls_activation.stack_floor;
    if (ABSL_PREDICT_FALSE(floor == 0)) floor = internal::PrepareThread();
    const auto sp = reinterpret_cast<uintptr_t>(&frame);
    const uintptr_t by_budget = sp > max_wasm_stack ? sp - max_wasm_stack : 0;
    uintptr_t l = by_budget > floor ? by_budget : floor;
    limits->stack_limit = l < sp ? l : sp;
    limits->last_wasm_entry_sp = sp;
  }
  internal::tls_activation.entry = &frame;
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void EndEntry(EntryFrame& frame) {
  // The call may have returned on another thread (a fiber resumed there).
  SetCurrentEntryFrameAfterCall(frame.prev);
  abi::VMRuntimeLimits* limits = frame.limits;
  if (frame.saved_stack_limit == abi::kStackLimitUnset) {
    limits->last_wasm_entry_sp = 0;
  }
  limits->stack_limit = frame.saved_stack_limit;
  // A normal return leaves the exit fp/pc as they were at entry (inner
  // entries restore theirs); a trap may have set them.
  if (ABSL_PREDICT_FALSE(frame.saved_exit_fp != 0 || frame.trap.trapped)) {
    const bool saved = frame.saved_exit_fp != 0;
    limits->last_wasm_exit_fp = frame.saved_exit_fp;
    limits->last_wasm_exit_pc = saved ? frame.saved_exit_pc : 0;
  }
}

// The Trap recorded in a frame whose entry trapped (symbolizes the
// backtrace; allocates). Out of line.
Trap FrameTrap(const EntryFrame& frame);

// Stack slots of the arguments `Rest...` after the two hidden leading
// integer arguments, under the host calling convention (abi::ArgPlacer
// over abi::HostCallConv: what codegen's ABI object and the trampolines
// use too).
template <typename... Rest>
inline constexpr uint32_t StackSlotsFor() {
  abi::ArgPlacer<abi::HostCallConv> placer;
  for (int i = 0; i < abi::kNumHiddenArgs; ++i) placer.Next(false);
  (placer.Next(std::is_floating_point_v<Rest>), ...);
  return placer.stack_slots();
}

// --- Implementation of the templates.
namespace internal {

template <size_t N>
struct ArgPacker {
  WasmCall* call;
  uint64_t stack[N == 0 ? 1 : N];
  abi::ArgPlacer<abi::HostCallConv> placer;

  template <typename T>
  void Add(T v) {
    uint64_t bits = 0;
    if constexpr (std::is_floating_point_v<T>) {
      static_assert(sizeof(T) == 4 || sizeof(T) == 8, "f32 or f64 only");
      std::memcpy(&bits, &v, sizeof(T));
    } else {
      static_assert(std::is_integral_v<T> || std::is_pointer_v<T> ||
                        std::is_enum_v<T>,
                    "CallWasm passes scalars only");
      if constexpr (std::is_pointer_v<T>) {
        bits = reinterpret_cast<uint64_t>(v);
      } else if constexpr (std::is_signed_v<T> || std::is_enum_v<T>) {
        bits = static_cast<uint64_t>(static_cast<int64_t>(v));
      } else {
        bits = static_cast<uint64_t>(v);
      }
    }
    const abi::ArgSlot slot = placer.Next(std::is_floating_point_v<T>);
    if (!slot.in_reg) {
      stack[slot.stack_slot] = bits;
      call->num_stack_args = slot.stack_slot + 1;
    } else if (slot.is_float) {
      call->float_args[slot.reg] = bits;
    } else {
      call->args[slot.reg] = bits;
    }
  }
};

template <typename... A, typename... Args>
std::optional<Trap> Call(const void* fn, WasmCall& call,
                         abi::VMRuntimeLimits* limits, Args... args) {
  static_assert(sizeof...(A) == sizeof...(Args),
                "CallWasm: argument count does not match the function");
  call.fn = fn;
  call.limits = limits;
  ArgPacker<sizeof...(A)> packer{&call, {}, {}};
  (packer.Add(static_cast<A>(args)), ...);
  call.stack_args = packer.stack;
  return EnterWasm(call);
}

}  // namespace internal

template <typename R, typename... A, typename... Args>
std::optional<Trap> CallWasm(R (*fn)(A...), R* result,
                             abi::VMRuntimeLimits* limits, Args... args) {
  WasmCall call;
  std::optional<Trap> trap = internal::Call<A...>(
      reinterpret_cast<const void*>(fn), call, limits, args...);
  if (!trap.has_value() && result != nullptr) {
    if constexpr (std::is_floating_point_v<R>) {
      std::memcpy(result, call.ret_vec, sizeof(R));
    } else if constexpr (std::is_pointer_v<R>) {
      *result = reinterpret_cast<R>(call.ret_int[0]);
    } else {
      *result = static_cast<R>(call.ret_int[0]);
    }
  }
  return trap;
}

template <typename... A, typename... Args>
std::optional<Trap> CallWasmVoid(void (*fn)(A...),
                                 abi::VMRuntimeLimits* limits, Args... args) {
  WasmCall call;
  return internal::Call<A...>(reinterpret_cast<const void*>(fn), call, limits,
                              args...);
}

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_ENTRY_H_
