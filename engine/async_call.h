// Async calls: wasm run on a fiber, driven by the embedder's event loop.
//
// With Config::async_support, every call into wasm of a store goes through
// an async entry point (TypedFunc::CallAsync, Func::CallAsync,
// Linker<T>::InstantiateAsync / ModuleAsync, InstancePre<T>::
// InstantiateAsync). Each returns an AsyncCall<R> at once, without running
// anything; Poll() runs the call on the store's fiber (its own stack,
// engine/README.md "Async") until it finishes (kReady: TakeResult()) or
// waits (kPending): an async host function returned a Future that is not
// complete yet, or the guest yielded (epoch deadline, fuel interval). The
// waker (SetWaker) runs when the call can go on -- the future completed, or
// at once for a yield -- and the event loop then polls again. Inside the
// call, host functions may call back into wasm with the ordinary
// synchronous Func::Call / TypedFunc::Call: they run on the same fiber, and
// a wait deep inside suspends the whole chain.
//
// Rules (as wasmtime's): a synchronous call or instantiation on an async
// store outside its running async call is an error (FailedPrecondition,
// not a hang); an async entry point on a store without async support is an
// error; a store runs one async call at a time (the next one fails until
// the previous is finished or dropped). Dropping an unfinished AsyncCall
// cancels it: its pending waits fail ("async call dropped"), which traps
// the guest, and the fiber unwinds before the destructor returns.
#ifndef KILN_ENGINE_ASYNC_CALL_H_
#define KILN_ENGINE_ASYNC_CALL_H_

#include <cstddef>
#include <new>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/base/optimization.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/future.h"
#include "engine/store.h"
#include "engine/trap.h"
#include "runtime/fiber/fiber.h"

namespace kiln {

enum class AsyncPoll { kReady, kPending };

namespace internal {

class AsyncCallBase;

// One job at a time: a type-erased callable fn() -> Result<R> and its
// result, placed in the driver's buffer (no allocation when it fits;
// AsyncJobOf below). Run builds the result in `result`; the AsyncCall
// moves it out and destroys it itself (it knows R), so finishing a job
// calls no function through these pointers unless the callable has a
// destructor to run (destroy_fn) or a cancelled job's result was never
// taken (destroy_result).
struct AsyncJob {
  void (*run)(void* job) = nullptr;             // on the fiber
  void (*destroy_fn)(void* job) = nullptr;      // null: nothing to do
  void (*destroy_result)(void* result) = nullptr;
  void* object = nullptr;
  void* result = nullptr;  // a Result<R>, once job_finished_
};

// The store's fiber and its one running job (engine/async_call.cc). The
// fiber lives as long as the store (its stack from the engine's pool) and
// runs jobs one after another.
class AsyncDriver {
 public:
  static constexpr size_t kInlineJobBytes = 256;

  // The store's driver, ready for a new job; errors when the store has no
  // async support, is running a job already, or no stack could be mapped.
  // `where` names the entry point in the message.
  static absl::StatusOr<AsyncDriver*> Begin(StoreOpaque& store,
                                            std::string_view where);
  ~AsyncDriver();

  // The store's driver when it exists and is free (inline fast path of
  // Begin), else null.
  static AsyncDriver* IdleDriver(StoreOpaque& store) {
    AsyncDriver* d = store.async_driver_;
    return d != nullptr && !d->busy_ ? d : nullptr;
  }

  // Storage for the job object: the inline buffer, or the heap.
  template <typename Job>
  void* AllocateJob() {
    if constexpr (sizeof(Job) <= kInlineJobBytes &&
                  alignof(Job) <= alignof(std::max_align_t)) {
      heap_job_ = false;
      return buffer_;
    } else {
      // Plain new, as FreeHeapJob's plain delete expects.
      static_assert(alignof(Job) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
      heap_job_ = true;
      return ::operator new(sizeof(Job));
    }
  }
  void SetJob(const AsyncJob& job, AsyncCallBase* owner) {
    job_ = job;
    owner_ = owner;
    busy_ = true;
    job_started_ = false;
    job_finished_ = false;
    cancelled_ = false;
  }
  // The job's Result<R> (constructed once the job finished).
  void* result_slot() const { return job_.result; }
  void SetOwner(AsyncCallBase* owner) { owner_ = owner; }

  // Host side: runs the job until it finishes or waits. Inline with the
  // fiber switch: a call that does not wait is one Poll.
  AsyncPoll Poll() {
    job_started_ = true;
    store_.sync_call_refused_ = false;
    fiber_->Resume();
    store_.sync_call_refused_ = true;
    return job_finished_ ? AsyncPoll::kReady : AsyncPoll::kPending;
  }
  // Destroys the job and frees the driver for the next one.
  // `result_taken`: the AsyncCall moved the result out and destroyed it.
  void FinishJob(bool result_taken) {
    if (ABSL_PREDICT_FALSE(job_finished_ && !result_taken)) {
      job_.destroy_result(job_.result);
    }
    if (job_.destroy_fn != nullptr) job_.destroy_fn(job_.object);
    if (ABSL_PREDICT_FALSE(heap_job_)) FreeHeapJob();
    job_.object = nullptr;
    job_.result = nullptr;
    owner_ = nullptr;
    // Resetting an empty AnyInvocable still calls its manager.
    if (waker_) waker_ = nullptr;
    busy_ = false;
    job_started_ = false;
    job_finished_ = false;
    cancelled_ = false;
  }
  // Host side: cancels an unfinished job (see the header comment).
  void Cancel();
  void SetWaker(absl::AnyInvocable<void()> waker) { waker_ = std::move(waker); }
  // Runs the waker (any thread).
  void Wake();

  // Fiber side: true while this driver's job runs on the current thread.
  bool running() const { return busy_ && fiber_->running(); }
  // Fiber side: gives the thread back to Poll until the next Poll; an error
  // when the call is being cancelled.
  absl::Status Suspend();

 private:
  struct Impl;
  explicit AsyncDriver(StoreOpaque& store);
  void FreeHeapJob();
  friend struct DriverAccess;
  StoreOpaque& store_;
  Impl* impl_ = nullptr;
  runtime::Fiber* fiber_ = nullptr;  // impl_'s
  AsyncJob job_;
  AsyncCallBase* owner_ = nullptr;
  absl::AnyInvocable<void()> waker_;
  bool busy_ = false;
  bool job_started_ = false;
  bool job_finished_ = false;
  bool cancelled_ = false;
  bool heap_job_ = false;
  alignas(std::max_align_t) unsigned char buffer_[kInlineJobBytes];
};

// The driver of the async call running on this thread for `store`, or an
// error naming `where` (an async host function or a yield called outside
// an async call).
absl::StatusOr<AsyncDriver*> RunningDriver(StoreOpaque& store,
                                           std::string_view where);

// Waits (suspending the store's fiber) until `future` is complete.
template <typename T>
FutureValue<T> Await(StoreOpaque& store, Future<T>& future,
                     std::string_view where) {
  if (future.ready()) return future.Take();
  absl::StatusOr<AsyncDriver*> driver = RunningDriver(store, where);
  if (!driver.ok()) return driver.status();
  AsyncDriver* d = *driver;
  future.SetWaker([d] { d->Wake(); });
  while (!future.ready()) {
    if (absl::Status s = d->Suspend(); !s.ok()) return s;
  }
  return future.Take();
}

// "<where>: the store has Config::async_support ..." (a synchronous call
// or instantiation outside the store's async call).
absl::Status SyncCallRefusedError(std::string_view where);

// Gives the thread back to the event loop once (the waker runs at once, so
// the loop polls again after its other work).
absl::Status Yield(StoreOpaque& store, std::string_view where);

class AsyncCallBase {
 public:
  AsyncCallBase(const AsyncCallBase&) = delete;
  AsyncCallBase& operator=(const AsyncCallBase&) = delete;

 protected:
  AsyncCallBase() = default;
  explicit AsyncCallBase(AsyncDriver* driver) : driver_(driver) {}
  AsyncCallBase(AsyncCallBase&& other) noexcept
      : driver_(std::exchange(other.driver_, nullptr)) {
    if (driver_ != nullptr) driver_->SetOwner(this);
  }
  ~AsyncCallBase() {
    if (driver_ != nullptr) driver_->Cancel();
  }
  AsyncDriver* driver_ = nullptr;

 private:
  friend class AsyncDriver;
  // The store is being destroyed with this call unfinished.
  void Orphan() { driver_ = nullptr; orphaned_ = true; }

 protected:
  bool orphaned_ = false;
};

// The job of StartAsync: fn() -> Result<R>, its result built in place by
// Run (placement new from the returned prvalue: no move of the Result).
// The result's lifetime is the driver's and the AsyncCall's business
// (AsyncJob), not this object's.
template <typename R, typename F>
struct AsyncJobOf {
  F fn;
  alignas(Result<R>) unsigned char result[sizeof(Result<R>)];
  explicit AsyncJobOf(F f) : fn(std::move(f)) {}
  static void Run(void* p) {
    auto* job = static_cast<AsyncJobOf*>(p);
    new (job->result) Result<R>(job->fn());
  }
  static void DestroyFn(void* p) { static_cast<AsyncJobOf*>(p)->~AsyncJobOf(); }
  static void DestroyResult(void* r) {
    std::launder(static_cast<Result<R>*>(r))->~Result();
  }
  static AsyncJob Make(AsyncJobOf* job) {
    return AsyncJob{&Run,
                    std::is_trivially_destructible_v<F> ? nullptr : &DestroyFn,
                    &DestroyResult, job, job->result};
  }
};

}  // namespace internal

template <typename R>
class AsyncCall;
namespace internal {
template <typename R, typename F>
AsyncCall<R> StartAsync(StoreOpaque& store, std::string_view where, F&& fn);
template <typename R, typename F>
AsyncCall<R> StartAsyncSlow(StoreOpaque& store, std::string_view where,
                            F&& fn);
}  // namespace internal

// A call (or instantiation) in progress; see the header comment. Move-only;
// may move between Polls.
template <typename R>
class AsyncCall : public internal::AsyncCallBase {
 public:
  // Finished at once (an error before anything ran).
  explicit AsyncCall(Result<R> result) : result_(std::move(result)) {}
  AsyncCall(AsyncCall&&) noexcept = default;

  // Runs the call until it finishes or waits.
  AsyncPoll Poll() {
    if (result_.has_value()) return AsyncPoll::kReady;
    if (driver_ == nullptr) {
      result_.emplace(absl::FailedPreconditionError(
          orphaned_ ? "AsyncCall::Poll: the store was destroyed"
                    : "AsyncCall::Poll: the result was taken already"));
      return AsyncPoll::kReady;
    }
    if (driver_->Poll() == AsyncPoll::kPending) return AsyncPoll::kPending;
    Result<R>* slot = ResultSlot();
    result_.emplace(std::move(*slot));
    slot->~Result();
    internal::AsyncDriver* d = std::exchange(driver_, nullptr);
    d->FinishJob(/*result_taken=*/true);
    return AsyncPoll::kReady;
  }
  bool done() const { return result_.has_value(); }
  // The result, after Poll returned kReady (moved out).
  Result<R> TakeResult() {
    if (!result_.has_value()) {
      return absl::FailedPreconditionError(
          "AsyncCall::TakeResult: the call has not finished");
    }
    return *std::move(result_);
  }
  // Runs when a Poll would make progress (from Promise::Set's thread, or
  // inside Poll for a yield). Set it before the first Poll.
  void SetWaker(absl::AnyInvocable<void()> waker) {
    if (driver_ != nullptr) driver_->SetWaker(std::move(waker));
  }
  // Polls until the call finishes, running `idle` whenever it waits (one
  // turn of the embedder's event loop, say).
  Result<R> Run(absl::FunctionRef<void()> idle) {
    while (Poll() == AsyncPoll::kPending) idle();
    return TakeResult();
  }

 private:
  template <typename R2, typename F>
  friend AsyncCall<R2> internal::StartAsync(StoreOpaque&, std::string_view,
                                            F&&);
  template <typename R2, typename F>
  friend AsyncCall<R2> internal::StartAsyncSlow(StoreOpaque&,
                                                std::string_view, F&&);
  // Places fn as the job of `driver` (free). Always built in its final
  // place (StartAsync returns prvalues), so the driver's owner pointer is
  // right from the start.
  template <typename F>
  AsyncCall(internal::AsyncDriver* driver, F&& fn)
      : internal::AsyncCallBase(driver) {
    using Job = internal::AsyncJobOf<R, std::decay_t<F>>;
    Job* job = new (driver->AllocateJob<Job>()) Job(std::forward<F>(fn));
    driver->SetJob(Job::Make(job), this);
  }
  // The finished job's result (AsyncJobOf<R, F>::result; see StartAsync).
  Result<R>* ResultSlot() {
    return std::launder(static_cast<Result<R>*>(driver_->result_slot()));
  }
  std::optional<Result<R>> result_;
};

namespace internal {

// Runs fn() -> Result<R> on the store's fiber as an AsyncCall<R>. Only
// prvalues are returned: the AsyncCall is built where the caller keeps it.
template <typename R, typename F>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline AsyncCall<R> StartAsync(
    StoreOpaque& store, std::string_view where, F&& fn) {
  AsyncDriver* d = AsyncDriver::IdleDriver(store);
  if (ABSL_PREDICT_FALSE(d == nullptr)) {
    return StartAsyncSlow<R>(store, where, std::forward<F>(fn));
  }
  return AsyncCall<R>(d, std::forward<F>(fn));
}

// The first call of a store (the driver and its fiber are made), or an
// error.
template <typename R, typename F>
ABSL_ATTRIBUTE_NOINLINE AsyncCall<R> StartAsyncSlow(StoreOpaque& store,
                                                    std::string_view where,
                                                    F&& fn) {
  absl::StatusOr<AsyncDriver*> driver = AsyncDriver::Begin(store, where);
  if (!driver.ok()) return AsyncCall<R>(Result<R>(driver.status()));
  return AsyncCall<R>(*driver, std::forward<F>(fn));
}

}  // namespace internal

}  // namespace kiln

#endif  // KILN_ENGINE_ASYNC_CALL_H_
