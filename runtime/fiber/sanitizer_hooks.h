// Telling AddressSanitizer and ThreadSanitizer about stack switches
// (inline no-ops without them). ASan must know which stack is current, or
// it misreads frames on a fiber stack (and its fake stacks for
// use-after-return) as overflows of the thread's stack; TSan keeps a shadow
// stack and a clock per fiber, and without a switch it unwinds the wrong
// shadow stack (a crash inside TSan) and reports races between a fiber and
// the thread that resumed it.
//
// Protocol (sanitizer/common_interface_defs.h, sanitizer/tsan_interface.h):
// right before a switch, AsanStartSwitch(&fake, target_bottom, size) and
// TsanSwitchTo(target_fiber); right after landing, AsanFinishSwitch(fake,
// &old_bottom, &old_size). Between TsanSwitchTo and the switch no
// instrumented memory access may touch the stack being left in a way that
// matters: TsanSwitchTo is the last thing before SwitchStack.
//
// Every hook is always inline: an out-of-line TsanSwitchTo is itself an
// instrumented function, whose entry TSan records on the shadow stack of
// the fiber being left and whose exit it pops from the fiber switched to.
// A round trip evens that out, but a fiber's first entry and last exit do
// not: the thread's shadow stack lost a frame per fiber, ran below its
// start and crashed inside TSan (the async tests under --config=tsan).
#ifndef KILN_RUNTIME_FIBER_SANITIZER_HOOKS_H_
#define KILN_RUNTIME_FIBER_SANITIZER_HOOKS_H_

#include <cstddef>

#include "absl/base/attributes.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KILN_FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define KILN_FIBER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(KILN_FIBER_ASAN)
#define KILN_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(KILN_FIBER_TSAN)
#define KILN_FIBER_TSAN 1
#endif

#ifdef KILN_FIBER_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef KILN_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace kiln::runtime::fiber_hooks {

#ifdef KILN_FIBER_TSAN
inline constexpr bool kTsan = true;
#else
inline constexpr bool kTsan = false;
#endif

// A switch to the stack [bottom, bottom + size) is about to happen; `fake`
// receives this stack's fake-stack handle (nullptr: this stack is
// finished, ASan may drop its fake frames).
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void AsanStartSwitch(void** fake,
                                                      const void* bottom,
                                                      size_t size) {
#ifdef KILN_FIBER_ASAN
  __sanitizer_start_switch_fiber(fake, bottom, size);
#else
  (void)fake, (void)bottom, (void)size;
#endif
}
// Landed on this stack again; `fake` is what AsanStartSwitch stored when it
// left; the stack switched away from is written to *old_bottom / *old_size
// when they are not null.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void AsanFinishSwitch(
    void* fake, const void** old_bottom, size_t* old_size) {
#ifdef KILN_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fake, old_bottom, old_size);
#else
  (void)fake, (void)old_bottom, (void)old_size;
#endif
}

ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* TsanCreate() {
#ifdef KILN_FIBER_TSAN
  return __tsan_create_fiber(0);
#else
  return nullptr;
#endif
}
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void TsanDestroy(void* fiber) {
#ifdef KILN_FIBER_TSAN
  if (fiber != nullptr) __tsan_destroy_fiber(fiber);
#else
  (void)fiber;
#endif
}
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void* TsanCurrent() {
#ifdef KILN_FIBER_TSAN
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}
// Flag 0: the switch synchronises (happens-before) the two fibers, as the
// hand-over of control does.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline void TsanSwitchTo(void* fiber) {
#ifdef KILN_FIBER_TSAN
  __tsan_switch_to_fiber(fiber, 0);
#else
  (void)fiber;
#endif
}

}  // namespace kiln::runtime::fiber_hooks

#endif  // KILN_RUNTIME_FIBER_SANITIZER_HOOKS_H_
