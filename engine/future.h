// Future<T> / Promise<T>: what an async host function (Linker<T>::
// FuncWrapAsync, FuncNewAsync) returns, and how the embedder completes it
// later. A one-shot value: FutureValue<T> (absl::Status for void,
// absl::StatusOr<T> otherwise).
//
//   auto [future, promise] = kiln::MakeFuture<int32_t>();
//   loop.After(5ms, [p = std::move(promise)]() mutable { p.Set(42); });
//   return std::move(future);       // the wasm caller waits, its fiber
//                                   // suspended, its thread free
//
// Set may be called on any thread; it runs the waiter's waker (the async
// call's, see engine/async_call.h) on that thread. ClearWaker ends a wait:
// once it returns, the waker neither runs nor is about to (it waits out a
// Set running it on another thread), so what the waker points to may be
// reused (issue 12: a dropped call's fiber runs the next call).
#ifndef KILN_ENGINE_FUTURE_H_
#define KILN_ENGINE_FUTURE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kiln {

template <typename T>
using FutureValue =
    std::conditional_t<std::is_void_v<T>, absl::Status, absl::StatusOr<T>>;

namespace internal {
// Shared by a Future and its Promise, which may be on different threads.
// std::mutex rather than absl::Mutex: Debian's abseil is built without
// ThreadSanitizer, which then cannot see absl::Mutex's locking and reports
// the value handed from Set to Take as a race.
//
// `ready` is set (release) once `value` is, under mu, and never cleared:
// the future polls it without the lock (Await checks it before and after
// every suspension) and, having seen it, reads `value` without the lock
// too, as nothing writes it again (a later Set only tests has_value()).
//
// `waking`: Set took the waker out (under mu, with `value`, before
// `ready`) and runs it on `waking_thread` after unlocking; it is cleared
// (release) once the waker returned and was destroyed. ClearWaker waits
// for that, so no thread still holds a waker whose wait has ended.
// std::atomic wait/notify (futex) rather than a condition variable: the
// notify costs one load when nobody waits, which is almost always. An int,
// not a bool: libstdc++ waits on an int-sized atomic directly, while a
// bool's notify also bumps a process-wide proxy counter.
template <typename T>
struct FutureState {
  std::mutex mu;
  std::atomic<bool> ready{false};
  std::atomic<int> waking{0};           // 1: Set is running the waker
  std::thread::id waking_thread;        // written under mu, once
  std::optional<FutureValue<T>> value;  // written under mu, once
  absl::AnyInvocable<void()> waker;     // guarded by mu

  // Set's end, once the waker it took returned and was destroyed. `self`
  // keeps the state alive until the notify, whatever the waker did to the
  // future or the promise.
  static void EndWaking(std::shared_ptr<FutureState> self) {
    self->waking.store(0, std::memory_order_release);
    self->waking.notify_all();
  }
  // Future::ClearWaker when the future is not ready or Set is in the
  // waker.
  ABSL_ATTRIBUTE_NOINLINE void ClearWakerSlow() {
    if (!ready.load(std::memory_order_acquire)) {
      absl::AnyInvocable<void()> dropped;  // destroyed outside the lock
      std::lock_guard<std::mutex> lock(mu);
      if (!value.has_value()) {
        dropped = std::move(waker);
        waker = nullptr;
        return;
      }
    }
    // Set has run (ordered before here by `ready` or the lock) and took
    // the waker, if there was one. If it is further up this thread's
    // stack (it polled or dropped the call itself), waiting would never
    // end.
    if (waking_thread == std::this_thread::get_id()) return;
    while (waking.load(std::memory_order_acquire) != 0) {
      waking.wait(1, std::memory_order_acquire);
    }
  }
};
}  // namespace internal

template <typename T>
class Promise;

template <typename T>
class Future {
 public:
  using value_type = T;

  // A future that is complete already (the host function had the answer at
  // once: the wasm caller does not suspend).
  static Future Ready(FutureValue<T> value) {
    Future f;
    f.ready_ = std::move(value);
    return f;
  }

  Future(Future&&) noexcept = default;
  Future& operator=(Future&&) noexcept = default;

  bool ready() const {
    if (ready_.has_value()) return true;
    return state_ != nullptr &&
           state_->ready.load(std::memory_order_acquire);
  }
  // The value; only when ready() (which ordered it before this read).
  FutureValue<T> Take() {
    if (ready_.has_value()) return *std::move(ready_);
    return *std::move(state_->value);
  }
  // `waker` runs (once) when the promise is set; at once if it was already.
  void SetWaker(absl::AnyInvocable<void()> waker) {
    if (state_ != nullptr) {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (!state_->value.has_value()) {
        state_->waker = std::move(waker);
        return;
      }
    }
    waker();
  }
  // Ends the wait: the waker will not run, and if Set is running it on
  // another thread, returns once it returned (a waker must therefore not
  // block on the thread that calls this). Only a waker running further up
  // this thread's stack may outlive the call. Cheap once ready() was seen:
  // one load, unless Set is still in the waker.
  void ClearWaker() {
    if (state_ == nullptr) return;
    if (ABSL_PREDICT_TRUE(state_->ready.load(std::memory_order_acquire)) &&
        ABSL_PREDICT_TRUE(state_->waking.load(std::memory_order_acquire) ==
                          0)) {
      return;
    }
    state_->ClearWakerSlow();
  }

 private:
  template <typename U>
  friend std::pair<Future<U>, Promise<U>> MakeFuture();
  Future() = default;
  std::optional<FutureValue<T>> ready_;
  std::shared_ptr<internal::FutureState<T>> state_;
};

template <typename T>
class Promise {
 public:
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&&) noexcept = default;

  // Completes the future (the first Set wins; later ones are ignored) and
  // runs its waker, if any, on this thread (outside the lock: the waker
  // may poll or drop the call). Future::ClearWaker waits for it to return.
  void Set(FutureValue<T> value) {
    // A Set that ran a waker let go of the state (below).
    if (ABSL_PREDICT_FALSE(state_ == nullptr)) return;
    absl::AnyInvocable<void()> waker;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->value.has_value()) return;
      state_->value = std::move(value);
      waker = std::move(state_->waker);
      if (waker) {
        state_->waking_thread = std::this_thread::get_id();
        state_->waking.store(1, std::memory_order_relaxed);
      }
      state_->ready.store(true, std::memory_order_release);
    }
    if (waker) {
      // The promise's reference, taken first: the waker may destroy the
      // promise (no count to bump).
      std::shared_ptr<internal::FutureState<T>> self = std::move(state_);
      waker();
      waker = nullptr;  // its captures die before the wait ends
      internal::FutureState<T>::EndWaking(std::move(self));
    }
  }

 private:
  template <typename U>
  friend std::pair<Future<U>, Promise<U>> MakeFuture();
  Promise() = default;
  std::shared_ptr<internal::FutureState<T>> state_;
};

// A pending future and the promise that completes it.
template <typename T>
std::pair<Future<T>, Promise<T>> MakeFuture() {
  auto state = std::make_shared<internal::FutureState<T>>();
  Future<T> f;
  f.state_ = state;
  Promise<T> p;
  p.state_ = std::move(state);
  return {std::move(f), std::move(p)};
}

}  // namespace kiln

#endif  // KILN_ENGINE_FUTURE_H_
