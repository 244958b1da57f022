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
// A wait ends (the Poll that goes past it, or the drop) only once a waker
// that Promise::Set runs on another thread returned, so the waker should
// post work and return, never block on the thread that polls or drops.
//
// The waker may be replaced between Polls (SetWaker; a Rust binding hands
// every poll its current std::task::Waker), also while a Set runs the old
// one on another thread, and by a waker itself. Guarantees (as Rust's
// AtomicWaker, with a waker that stays set): a replaced waker is never
// destroyed or moved while it runs (its run goes on and it is destroyed
// once it returned, by the thread that ran it); a wake runs the waker set
// when the wake starts, so a wake that overlaps a replacement runs the old
// waker (already running) or the new one, never neither: a wake that
// comes while a waker runs makes it run once more after it returned (on
// that thread; two runs never overlap), and a wake that finds no waker
// makes the next SetWaker run its waker at once. Wakes may be spurious
// (a Poll after one may return kPending again).
#ifndef KILN_ENGINE_ASYNC_CALL_H_
#define KILN_ENGINE_ASYNC_CALL_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

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

// What a job's type knows (one constant table per job type, AsyncJobOf).
struct AsyncJobOps {
  void (*run)(void* job);                 // on the fiber
  void (*destroy_fn)(void* job);          // null: nothing to do
  void (*destroy_result)(void* result);
  // Moves a finished job's result into its AsyncCall (`owner`) and frees
  // the driver (EvictResult below).
  void (*evict)(AsyncCallBase* owner);
};

// One job at a time: a type-erased callable fn() -> Result<R> and its
// result, placed in the driver's buffer (no allocation when it fits;
// AsyncJobOf below). Run builds the result in `result`, where it stays
// until the AsyncCall takes it (TakeResult moves it out once, straight
// into the caller's Result) or it must leave: the store needs the driver
// for the next call, or is destroyed (ops->evict). Finishing a job calls
// no function through `ops` unless the callable has a destructor to run
// (destroy_fn) or the result was never taken (destroy_result).
struct AsyncJob {
  const AsyncJobOps* ops = nullptr;
  void* object = nullptr;
  void* result = nullptr;  // a Result<R>, once job_finished_
};

// The store's fiber and its one running job (engine/async_call.cc). The
// fiber runs jobs one after another for as long as the store lives (its
// stack comes from the engine's pool), then waits in IdleAsyncDrivers for
// the next store.
class AsyncDriver {
 public:
  static constexpr size_t kInlineJobBytes = 256;

  // The store's driver, ready for a new job; errors when the store has no
  // async support, is running a job already, or no stack could be mapped.
  // `where` names the entry point in the message.
  static absl::StatusOr<AsyncDriver*> Begin(StoreOpaque& store,
                                            std::string_view where);
  ~AsyncDriver();
  // The store is being destroyed: cancels its unfinished call (as the
  // destructor) and parks the driver, its fiber waiting for the next job,
  // in the engine's IdleAsyncDrivers for another store (or destroys it
  // when they are full).
  static void Retire(std::unique_ptr<AsyncDriver> driver);

  // The store's driver when it exists and is free (inline fast path of
  // Begin), else null (also when a finished job's result still waits for
  // TakeResult: Begin moves it out first).
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

  bool job_finished() const { return job_finished_; }

  // Host side: runs the job until it finishes or waits (at once kReady
  // when it finished already). Inline with the fiber switch: a call that
  // does not wait is one Poll.
  AsyncPoll Poll() {
    if (ABSL_PREDICT_FALSE(job_finished_)) return AsyncPoll::kReady;
    job_started_ = true;
    store_->sync_call_refused_ = false;
    fiber_->Resume();
    store_->sync_call_refused_ = true;
    return job_finished_ ? AsyncPoll::kReady : AsyncPoll::kPending;
  }
  // Destroys the job and frees the driver for the next one.
  // `result_taken`: the AsyncCall moved the result out and destroyed it.
  // (A job that ran destroyed its callable already.)
  void FinishJob(bool result_taken) {
    if (ABSL_PREDICT_FALSE(!job_finished_)) {
      if (job_.ops->destroy_fn != nullptr) job_.ops->destroy_fn(job_.object);
    } else if (ABSL_PREDICT_FALSE(!result_taken)) {
      job_.ops->destroy_result(job_.result);
    }
    if (ABSL_PREDICT_FALSE(heap_job_)) FreeHeapJob();
    // job_ and owner_ mean nothing while !busy_. A call that never had a
    // waker nor a wake leaves the state 0: one load.
    if (ABSL_PREDICT_FALSE(wake_state_.load(std::memory_order_acquire) != 0)) {
      EndWakes();
    }
    busy_ = false;
    job_started_ = false;
    job_finished_ = false;
    cancelled_ = false;
  }
  // Host side: cancels an unfinished job (see the header comment), or
  // destroys a finished one's untaken result.
  void Cancel();
  // Host side: a finished job's result goes to its AsyncCall, which keeps
  // it; the driver is free.
  void EvictResult() { job_.ops->evict(owner_); }
  // Host side (the thread that polls, between Polls, or a waker running
  // on any thread): replaces the waker. Safe while a Wake runs the old one
  // on another thread: that run goes on with the old waker, destroyed
  // once it returned (by the running thread); later wakes run the new
  // one. If a wake found no waker since the call's last SetWaker, the new
  // waker runs at once, on this thread, before SetWaker returns.
  void SetWaker(absl::AnyInvocable<void()> waker);
  // Runs the waker (any thread: a Set's, or the fiber's for a yield), in
  // place: while it runs, a SetWaker or the end of the job puts the next
  // waker (or none) in the other slot, and the driver's destruction hands
  // the slots to this frame, so a running waker is never destroyed or
  // moved. A wake that comes while another runs is not run beside it: the
  // running thread runs the (then current) waker once more when it
  // returned. Ordered before the driver's next job by Future::ClearWaker
  // in Await. Inline: a wake with no waker, once marked, is one load (a
  // call polled without a waker, as the benchmarks' event loop does).
  void Wake() {
    if ((wake_state_.load(std::memory_order_relaxed) &
         (kWakeLocked | kWakeFull | kWakeHeld | kWakeMissed)) ==
        kWakeMissed) {
      return;
    }
    WakeSlow();
  }

  // Fiber side: true while this driver's job runs on the current thread.
  bool running() const { return busy_ && fiber_->running(); }
  // Fiber side: gives the thread back to Poll until the next Poll; an error
  // when the call is being cancelled.
  absl::Status Suspend();

 private:
  struct Impl;
  explicit AsyncDriver(StoreOpaque& store);
  void FreeHeapJob();
  // The waker's state (wake_state_, engine/async_call.cc): kWakeLocked
  // guards wakers_ (the pointer and the slots), holder_thread_ and
  // wake_frame_ for a few instructions (never while user code runs).
  static constexpr uint32_t kWakeLocked = 1;
  static constexpr uint32_t kWakeFull = 2;     // the current slot is set
  static constexpr uint32_t kWakeHeld = 4;     // a Wake runs a slot
  static constexpr uint32_t kWakeAgain = 8;    // woken while held
  static constexpr uint32_t kWakeMissed = 16;  // woken with no waker
  static constexpr uint32_t kWakeCur = 32;     // current slot: 1 if set
  static constexpr uint32_t kWakeHeldSlot = 64;  // the running slot
  struct WakeFrame {
    bool detached = false;  // the driver is gone: do not touch it
    absl::AnyInvocable<void()>* orphan = nullptr;  // its slots, to delete
  };
  ABSL_ATTRIBUTE_NOINLINE void WakeSlow();
  // WakeSlow's end of a run whose slot was replaced (locked: `state`):
  // true to run `slot` (now the current one) again.
  ABSL_ATTRIBUTE_NOINLINE bool EndReplacedRun(
      uint32_t state, absl::AnyInvocable<void()>* slots, uint32_t& slot);
  uint32_t LockWake();  // inline in async_call.cc
  ABSL_ATTRIBUTE_NOINLINE uint32_t LockWakeContended();
  void UnlockWake(uint32_t state) {
    wake_state_.store(state & ~kWakeLocked, std::memory_order_release);
  }
  // The job ended (FinishJob): its waker is dropped and its pending
  // wakes forgotten; a Wake still running the old waker destroys it when
  // it returned.
  void EndWakes();
  // The driver leaves its store or is destroyed: waits until a Wake on
  // another thread returned; one further up this thread's stack (a waker
  // that dropped the store) forgets the driver and takes the slots.
  void ForgetWakes();
  // Ends the job a dropped store left (its result evicted to its
  // AsyncCall, or the call orphaned and cancelled).
  void Detach();
  friend struct DriverAccess;
  StoreOpaque* store_;  // the store using it (null while idle)
  Impl* impl_ = nullptr;
  runtime::Fiber* fiber_ = nullptr;  // impl_'s
  AsyncJob job_;
  AsyncCallBase* owner_ = nullptr;
  // Two slots, made by the first SetWaker: the current waker and, while
  // one runs in place, its replacement. Guarded by kWakeLocked.
  absl::AnyInvocable<void()>* wakers_ = nullptr;
  std::atomic<uint32_t> wake_state_{0};
  std::thread::id holder_thread_;      // while kWakeHeld
  WakeFrame* wake_frame_ = nullptr;    // while kWakeHeld
  bool busy_ = false;
  bool job_started_ = false;
  bool job_finished_ = false;
  bool cancelled_ = false;
  bool heap_job_ = false;
  alignas(std::max_align_t) unsigned char buffer_[kInlineJobBytes];
};

// Idle drivers of dropped stores, owned by the engine: each one's fiber
// waits at the top of its job loop with a warm stack, so a new store's
// first async call takes one instead of taking a stack from the pool,
// building and starting a fiber (and the dropped store's fiber is not run
// to its end). The example server makes a store per request: that was
// ~0.5 us of its CPU per request. Sharded by thread, LIFO: a thread takes
// back the driver it parked last (its stack lines still in that core's
// cache), and threads share no lock.
class IdleAsyncDrivers {
 public:
  static constexpr size_t kShards = 8;
  static constexpr size_t kMaxPerShard = 64;

  IdleAsyncDrivers() = default;
  IdleAsyncDrivers(const IdleAsyncDrivers&) = delete;
  IdleAsyncDrivers& operator=(const IdleAsyncDrivers&) = delete;
  ~IdleAsyncDrivers();  // destroys the parked drivers

  // A parked driver, or null.
  std::unique_ptr<AsyncDriver> Take();
  // Parks `driver` (idle: no job); gives it back when the shard is full.
  std::unique_ptr<AsyncDriver> Put(std::unique_ptr<AsyncDriver> driver);

 private:
  struct alignas(64) Shard {
    std::mutex mu;
    std::vector<AsyncDriver*> idle;  // guarded by mu
  };
  static size_t ThisThreadShard();
  Shard shards_[kShards];
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
  absl::Status s;
  while (!future.ready()) {
    s = d->Suspend();
    if (!s.ok()) break;  // cancelled
  }
  // Finished or cancelled, the wait ends only once no thread can still
  // run this waker: `d` next runs another call (or another store's:
  // IdleAsyncDrivers), or is destroyed, and its waker is reset.
  future.ClearWaker();
  if (!s.ok()) return s;
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

template <typename R>
void EvictResult(AsyncCallBase* owner);

// The job of StartAsync: fn() -> Result<R>, its result built in place by
// Run (placement new from the returned prvalue: no move of the Result).
// The result's lifetime is the driver's and the AsyncCall's business
// (AsyncJob), not this object's. fn is built in place too, from the
// prvalue make() returns (no copy of the captures), and destroyed as soon
// as it returned.
template <typename R, typename F>
struct AsyncJobOf {
  union {  // fn's lifetime is managed by hand
    F fn;
  };
  alignas(Result<R>) unsigned char result[sizeof(Result<R>)];
  template <typename Make>
  explicit AsyncJobOf(Make& make) : fn(make()) {}
  ~AsyncJobOf() {}
  static void Run(void* p) {
    auto* job = static_cast<AsyncJobOf*>(p);
    new (job->result) Result<R>(job->fn());
    job->fn.~F();
  }
  // A job that never ran (cancelled before its first Poll).
  static void DestroyFn(void* p) { static_cast<AsyncJobOf*>(p)->fn.~F(); }
  static void DestroyResult(void* r) {
    std::launder(static_cast<Result<R>*>(r))->~Result();
  }
  static constexpr AsyncJobOps kOps = {
      &Run, std::is_trivially_destructible_v<F> ? nullptr : &DestroyFn,
      &DestroyResult, &EvictResult<R>};
  static AsyncJob Make(AsyncJobOf* job) {
    return AsyncJob{&kOps, job, job->result};
  }
};

// Moves a finished job's Result<R> out of `slot` and ends the slot's
// lifetime. A value that is trivially copyable (the common typed call)
// skips the variant's move and destroy: nothing in them has an effect.
template <typename R>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline Result<R> MoveOutResult(Result<R>* slot) {
  if constexpr (std::is_void_v<R>) {
    if (ABSL_PREDICT_TRUE(slot->ok())) return Result<void>();
  } else if constexpr (std::is_trivially_copyable_v<R>) {
    if (ABSL_PREDICT_TRUE(slot->ok())) return Result<R>(slot->value());
  }
  Result<R> r(std::move(*slot));
  slot->~Result();
  return r;
}

}  // namespace internal

template <typename R>
class AsyncCall;
namespace internal {
template <typename R, typename Make>
AsyncCall<R> StartAsync(StoreOpaque& store, std::string_view where,
                        Make&& make);
template <typename R, typename Make>
AsyncCall<R> StartAsyncSlow(StoreOpaque& store, std::string_view where,
                            Make& make);
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
    if (ABSL_PREDICT_FALSE(driver_ == nullptr)) return PollWithoutDriver();
    // A finished result stays in the driver's job until TakeResult.
    return driver_->Poll();
  }
  bool done() const {
    return result_.has_value() ||
           (driver_ != nullptr && driver_->job_finished());
  }
  // The result, after Poll returned kReady (moved out).
  Result<R> TakeResult() {
    if (ABSL_PREDICT_TRUE(driver_ != nullptr && driver_->job_finished())) {
      return TakeFinished();
    }
    if (!result_.has_value()) {
      return absl::FailedPreconditionError(
          "AsyncCall::TakeResult: the call has not finished (or its result "
          "was taken already)");
    }
    Result<R> r = *std::move(result_);
    result_.reset();
    return r;
  }
  // Runs when a Poll would make progress (from Promise::Set's thread, or
  // inside Poll for a yield). It must not wait for this call's Poll or
  // drop (see the header comment). May be called again between Polls,
  // from the thread that polls or from a waker, while a Set runs the old
  // waker on another thread (header comment: the old one finishes its
  // run; later wakes run the new one; if a wake came with no waker set,
  // `waker` runs at once, on this thread, before SetWaker returns). Not
  // concurrently with this call's Poll, drop or another SetWaker (the
  // AsyncCall is not shared between threads).
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
  template <typename R2, typename Make>
  friend AsyncCall<R2> internal::StartAsync(StoreOpaque&, std::string_view,
                                            Make&&);
  template <typename R2, typename Make>
  friend AsyncCall<R2> internal::StartAsyncSlow(StoreOpaque&,
                                                std::string_view, Make&);
  template <typename R2>
  friend void internal::EvictResult(internal::AsyncCallBase*);
  // Places make() as the job of `driver` (free). Always built in its
  // final place (StartAsync returns prvalues), so the driver's owner
  // pointer is right from the start.
  template <typename Make>
  AsyncCall(internal::AsyncDriver* driver, Make& make)
      : internal::AsyncCallBase(driver) {
    using Job = internal::AsyncJobOf<R, std::invoke_result_t<Make&>>;
    Job* job = new (driver->AllocateJob<Job>()) Job(make);
    driver->SetJob(Job::Make(job), this);
  }
  // The finished job's result, moved out once (one return: NRVO into
  // TakeResult's caller), and the driver freed.
  ABSL_ATTRIBUTE_ALWAYS_INLINE Result<R> TakeFinished() {
    internal::AsyncDriver* d = std::exchange(driver_, nullptr);
    Result<R> r = internal::MoveOutResult(
        std::launder(static_cast<Result<R>*>(d->result_slot())));
    d->FinishJob(/*result_taken=*/true);
    return r;
  }
  ABSL_ATTRIBUTE_NOINLINE AsyncPoll PollWithoutDriver() {
    if (!result_.has_value()) {
      result_.emplace(absl::FailedPreconditionError(
          orphaned_ ? "AsyncCall::Poll: the store was destroyed"
                    : "AsyncCall::Poll: the result was taken already"));
    }
    return AsyncPoll::kReady;
  }
  // The result when it is not (or no longer) in the driver's job: an
  // error before anything ran, a Poll error, or an evicted result.
  std::optional<Result<R>> result_;
};

namespace internal {
template <typename R>
void EvictResult(AsyncCallBase* owner) {
  auto* call = static_cast<AsyncCall<R>*>(owner);
  call->result_.emplace(call->TakeFinished());
}
}  // namespace internal

namespace internal {

// Runs fn() -> Result<R> on the store's fiber as an AsyncCall<R>, where
// fn is the callable make() returns (called once, right away; it may
// capture by reference). Only prvalues are returned: the AsyncCall is
// built where the caller keeps it.
template <typename R, typename Make>
ABSL_ATTRIBUTE_ALWAYS_INLINE inline AsyncCall<R> StartAsync(
    StoreOpaque& store, std::string_view where, Make&& make) {
  AsyncDriver* d = AsyncDriver::IdleDriver(store);
  if (ABSL_PREDICT_FALSE(d == nullptr)) {
    return StartAsyncSlow<R>(store, where, make);
  }
  return AsyncCall<R>(d, make);
}

// The first call of a store (the driver and its fiber are made), or an
// error.
template <typename R, typename Make>
ABSL_ATTRIBUTE_NOINLINE AsyncCall<R> StartAsyncSlow(StoreOpaque& store,
                                                    std::string_view where,
                                                    Make& make) {
  absl::StatusOr<AsyncDriver*> driver = AsyncDriver::Begin(store, where);
  if (!driver.ok()) return AsyncCall<R>(Result<R>(driver.status()));
  return AsyncCall<R>(*driver, make);
}

}  // namespace internal

}  // namespace kiln

#endif  // KILN_ENGINE_ASYNC_CALL_H_
