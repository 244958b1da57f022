// A fiber: a function running on its own stack (FiberStack) that can
// suspend itself and be resumed later, on the same thread or another.
//
//   Fiber fiber(std::move(stack), [](Fiber& f) {
//     ...; f.Suspend(); ...;            // back to whoever called Resume
//   });
//   fiber.Resume();                     // runs the body up to Suspend
//   fiber.Resume();                     // runs it to the end: done()
//
// The switch is Boost.Context's fcontext (jump_fcontext: saves the
// callee-saved registers and the stack pointer, ~20 instructions). Each
// switch also swaps the thread's wasm activation state
// (runtime/traps/thread_activation.h), so wasm on the fiber traps, unwinds,
// backtraces and checks its stack limit against the fiber's own stack and
// entries; the fiber's outermost entry frame has no predecessor.
#ifndef KILN_RUNTIME_FIBER_FIBER_H_
#define KILN_RUNTIME_FIBER_FIBER_H_

#include "absl/functional/any_invocable.h"
#include "runtime/fiber/fiber_stack.h"
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
  // see engine/async.cc).
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the body until it calls Suspend or returns. Must not be called
  // from the fiber itself, nor after done().
  void Resume();
  // From the body only: returns to the Resume that ran it.
  void Suspend();

  bool done() const { return done_; }
  // True while the body runs (between Resume and Suspend / return).
  bool running() const { return running_; }
  const FiberStack& stack() const { return stack_; }
  // The stack back (for a pool); the fiber must be done or never resumed.
  FiberStack TakeStack() &&;

 private:
  static void Entry(void* transfer_fctx, void* data);

  FiberStack stack_;
  Body body_;
  void* fiber_ctx_ = nullptr;  // where the fiber continues (fcontext)
  void* host_ctx_ = nullptr;   // where Resume continues
  ThreadActivation activation_;  // the fiber's, while it is switched out
  bool started_ = false;
  bool running_ = false;
  bool done_ = false;
  // AddressSanitizer's bookkeeping of the stack being left.
  void* asan_fake_stack_ = nullptr;
  const void* asan_host_bottom_ = nullptr;
  size_t asan_host_size_ = 0;
  // ThreadSanitizer's fiber and the one that resumed it last.
  void* tsan_fiber_ = nullptr;
  void* tsan_host_ = nullptr;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_FIBER_FIBER_H_
