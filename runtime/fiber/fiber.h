// A fiber: a function running on its own stack (FiberStack) that can
// suspend itself and be resumed later, on the same thread or another.
//
//   Fiber fiber(std::move(stack), [](Fiber& f) {
//     ...; f.Suspend(); ...;            // back to whoever called Resume
//   });
//   fiber.Resume();                     // runs the body up to Suspend
//   fiber.Resume();                     // runs it to the end: done()
//
// The switch is SwitchStack (stack_switch.h: our own on x86-64, Boost.
// Context's fcontext elsewhere). Resume and Suspend are inline: an async
// call does a round trip per poll. Each switch also swaps the thread's
// wasm activation state (runtime/traps/thread_activation.h), so wasm on the
// fiber traps, unwinds, backtraces and checks its stack limit against the
// fiber's own stack and entries; the fiber's outermost entry frame has no
// predecessor. Under AddressSanitizer and ThreadSanitizer every switch is
// announced to the sanitizer (sanitizer_hooks.h).
//
// A fiber may be resumed on another thread than the one it suspended on
// (an async call polled by a waker there). A function live on the fiber
// across a switch must not touch a thread_local after it through the
// thread pointer it read before: compilers keep that in a register across
// calls (AArch64's TPIDR_EL0) and would reach the first thread's variable.
// The entry list is unlinked with SetCurrentEntryFrameAfterCall for that
// reason (runtime/traps/call_thread_state.h).
#ifndef KILN_RUNTIME_FIBER_FIBER_H_
#define KILN_RUNTIME_FIBER_FIBER_H_

#include <cstddef>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/functional/any_invocable.h"
#include "runtime/fiber/fiber_stack.h"
#include "runtime/fiber/sanitizer_hooks.h"
#include "runtime/fiber/stack_switch.h"
#include "runtime/traps/thread_activation.h"

namespace kiln::runtime {

class Fiber {
 public:
  using Body = absl::AnyInvocable<void(Fiber&)>;

  // `body` runs on `stack` from the first Resume. The Fiber must not move
  // once resumed (it is not movable at all).
  Fiber(FiberStack stack, Body body);
  // A fiber destroyed while suspended inside its body is discarded without
  // unwinding: its frames must own nothing by then (the engine makes sure:
  // see engine/async_call.cc).
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the body until it calls Suspend or returns. Must not be called
  // from the fiber itself, nor after done() (aborts).
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Resume() {
    if (ABSL_PREDICT_FALSE(state_ != State::kSuspended)) {
      ResumeSlow();
      return;
    }
    SwitchIn(/*first=*/false);
  }
  // From the body only: returns to the Resume that ran it.
  ABSL_ATTRIBUTE_ALWAYS_INLINE void Suspend() {
    // Set here, on the fiber, so SwitchIn's return path does not test it.
    state_ = State::kSuspended;
    fiber_hooks::AsanStartSwitch(&asan_fake_stack_, asan_host_bottom_,
                                 asan_host_size_);
    fiber_hooks::TsanSwitchTo(tsan_host_);
    SwitchStack(&fiber_ctx_, host_ctx_);
    // Resumed, possibly by another Resume (another host stack).
    fiber_hooks::AsanFinishSwitch(asan_fake_stack_, &asan_host_bottom_,
                                  &asan_host_size_);
  }

  bool done() const { return state_ == State::kDone; }
  // Resumed at least once.
  bool started() const { return state_ != State::kNew; }
  // True while the body runs (between Resume and Suspend / return).
  bool running() const { return state_ == State::kRunning; }
  const FiberStack& stack() const { return stack_; }
  // The stack back (for a pool); the fiber must be done or never resumed.
  FiberStack TakeStack() &&;

 private:
  // The first Resume, and misuse (aborts).
  ABSL_ATTRIBUTE_NOINLINE void ResumeSlow();
  ABSL_ATTRIBUTE_ALWAYS_INLINE void SwitchIn(bool first) {
    state_ = State::kRunning;
    const ThreadActivation host = SwapThreadActivation(activation_);
    void* fake_stack = nullptr;
    fiber_hooks::AsanStartSwitch(
        &fake_stack, reinterpret_cast<const void*>(stack_.bottom()),
        stack_.size());
    if constexpr (fiber_hooks::kTsan) tsan_host_ = fiber_hooks::TsanCurrent();
    fiber_hooks::TsanSwitchTo(tsan_fiber_);
    if (first) {
      StartStack(&host_ctx_, fiber_ctx_, &Fiber::Entry, this);
    } else {
      SwitchStack(&host_ctx_, fiber_ctx_);
    }
    fiber_hooks::AsanFinishSwitch(fake_stack, nullptr, nullptr);
    // state_ is kSuspended (Suspend) or kDone (Entry) again.
    // Only the entry list changes on the fiber: its floor and bounds are
    // its stack's for good (ActivationForStack).
    activation_.entry = CurrentEntryFrame();
    RestoreThreadActivation(host);
  }
  [[noreturn]] static void Entry(void* self);

  FiberStack stack_;
  Body body_;
  StackContext fiber_ctx_ = nullptr;  // where the fiber continues
  StackContext host_ctx_ = nullptr;   // where Resume continues
  ThreadActivation activation_;  // the fiber's, while it is switched out
  // One byte for the state, so Resume's fast path tests it once.
  enum class State : unsigned char { kNew, kSuspended, kRunning, kDone };
  State state_ = State::kNew;
  // AddressSanitizer's bookkeeping of the stack being left (unused
  // without ASan).
  void* asan_fake_stack_ = nullptr;
  const void* asan_host_bottom_ = nullptr;
  size_t asan_host_size_ = 0;
  // ThreadSanitizer's fiber and the one that resumed it last (null
  // without TSan).
  void* tsan_fiber_ = nullptr;
  void* tsan_host_ = nullptr;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_FIBER_FIBER_H_
