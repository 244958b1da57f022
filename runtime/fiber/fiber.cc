#include "runtime/fiber/fiber.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "boost/context/detail/fcontext.hpp"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_FIBER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KILN_FIBER_ASAN 1
#endif

#ifdef KILN_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KILN_FIBER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define KILN_FIBER_TSAN 1
#endif

#ifdef KILN_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace kiln::runtime {

namespace fc = boost::context::detail;

namespace {

// Tells ASan a switch to the stack [bottom, bottom + size) is about to
// happen / has happened (no-ops without ASan).
inline void StartSwitch(void** fake_stack, const void* bottom, size_t size) {
#ifdef KILN_FIBER_ASAN
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}
inline void FinishSwitch(void* fake_stack, const void** old_bottom,
                         size_t* old_size) {
#ifdef KILN_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fake_stack, old_bottom, old_size);
#else
  (void)fake_stack, (void)old_bottom, (void)old_size;
#endif
}

// ThreadSanitizer keeps a shadow stack and clock per fiber: it must be told
// of each switch, or it reports races between a fiber and the thread that
// resumed it (no-ops without TSan).
inline void* TsanCurrent() {
#ifdef KILN_FIBER_TSAN
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}
inline void TsanSwitchTo(void* fiber) {
#ifdef KILN_FIBER_TSAN
  __tsan_switch_to_fiber(fiber, 0);
#else
  (void)fiber;
#endif
}

}  // namespace

Fiber::Fiber(FiberStack stack, Body body)
    : stack_(std::move(stack)), body_(std::move(body)) {
  activation_ = ActivationForStack(stack_.bottom(), stack_.top());
}

Fiber::~Fiber() {
#ifdef KILN_FIBER_TSAN
  if (tsan_fiber_ != nullptr) __tsan_destroy_fiber(tsan_fiber_);
#endif
}

FiberStack Fiber::TakeStack() && { return std::move(stack_); }

void Fiber::Entry(void* host_ctx, void* data) {
  auto* self = static_cast<Fiber*>(data);
  self->host_ctx_ = host_ctx;
  FinishSwitch(nullptr, &self->asan_host_bottom_, &self->asan_host_size_);
  self->body_(*self);
  self->done_ = true;
  self->body_ = nullptr;
  // Back to the last Resume for good (no fake stack to keep: the fiber is
  // finished).
  StartSwitch(nullptr, self->asan_host_bottom_, self->asan_host_size_);
  TsanSwitchTo(self->tsan_host_);
  fc::jump_fcontext(self->host_ctx_, nullptr);
  std::fprintf(stderr, "kiln: a finished fiber was resumed\n");
  std::abort();
}

void Fiber::Resume() {
  if (done_ || running_) {
    std::fprintf(stderr, "kiln: Fiber::Resume on a %s fiber\n",
                 done_ ? "finished" : "running");
    std::abort();
  }
  if (!started_) {
    started_ = true;
    fiber_ctx_ = fc::make_fcontext(reinterpret_cast<void*>(stack_.top()),
                                   stack_.size(), [](fc::transfer_t t) {
                                     Fiber::Entry(t.fctx, t.data);
                                   });
#ifdef KILN_FIBER_TSAN
    tsan_fiber_ = __tsan_create_fiber(0);
#endif
  }
  running_ = true;
  const ThreadActivation host = SwapThreadActivation(activation_);
  void* fake_stack = nullptr;
  StartSwitch(&fake_stack, reinterpret_cast<const void*>(stack_.bottom()),
              stack_.size());
  tsan_host_ = TsanCurrent();
  TsanSwitchTo(tsan_fiber_);
  fc::transfer_t t = fc::jump_fcontext(fiber_ctx_, this);
  FinishSwitch(fake_stack, nullptr, nullptr);
  fiber_ctx_ = t.fctx;
  running_ = false;
  activation_ = SwapThreadActivation(host);
}

void Fiber::Suspend() {
  StartSwitch(&asan_fake_stack_, asan_host_bottom_, asan_host_size_);
  TsanSwitchTo(tsan_host_);
  fc::transfer_t t = fc::jump_fcontext(host_ctx_, nullptr);
  // Resumed, possibly from another Resume (another host stack).
  host_ctx_ = t.fctx;
  FinishSwitch(asan_fake_stack_, &asan_host_bottom_, &asan_host_size_);
}

}  // namespace kiln::runtime
