#include "runtime/fiber/fiber.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace kiln::runtime {

Fiber::Fiber(FiberStack stack, Body body)
    : stack_(std::move(stack)), body_(std::move(body)) {
  activation_ = ActivationForStack(stack_.bottom(), stack_.top());
}

Fiber::~Fiber() { fiber_hooks::TsanDestroy(tsan_fiber_); }

FiberStack Fiber::TakeStack() && { return std::move(stack_); }

void Fiber::ResumeSlow() {
  if (state_ != State::kNew) {
    std::fprintf(stderr, "kiln: Fiber::Resume on a %s fiber\n",
                 done() ? "finished" : "running");
    std::abort();
  }
  fiber_ctx_ = MakeStackContext(stack_.top(), stack_.size());
  tsan_fiber_ = fiber_hooks::TsanCreate();
  SwitchIn(/*first=*/true);
}

void Fiber::Entry(void* arg) {
  auto* self = static_cast<Fiber*>(arg);
  fiber_hooks::AsanFinishSwitch(nullptr, &self->asan_host_bottom_,
                                &self->asan_host_size_);
  self->body_(*self);
  self->state_ = State::kDone;
  self->body_ = nullptr;
  // Back to the last Resume for good (no fake stack to keep: the fiber is
  // finished).
  fiber_hooks::AsanStartSwitch(nullptr, self->asan_host_bottom_,
                               self->asan_host_size_);
  fiber_hooks::TsanSwitchTo(self->tsan_host_);
  SwitchStack(&self->fiber_ctx_, self->host_ctx_);
  std::fprintf(stderr, "kiln: a finished fiber was resumed\n");
  std::abort();
}

}  // namespace kiln::runtime
