#include "engine/async_call.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "runtime/fiber/fiber.h"
#include "runtime/traps/stack_limit.h"

namespace kiln::internal {

struct AsyncDriver::Impl {
  runtime::InstanceAllocator* allocator = nullptr;
  std::optional<runtime::Fiber> fiber;
  bool shutdown = false;
};

namespace {
// Debian's abseil has its own string_view.
absl::string_view Sv(std::string_view s) { return {s.data(), s.size()}; }
constexpr size_t kMinAsyncStack = runtime::kHostStackReserve * 2;
}  // namespace

absl::StatusOr<AsyncDriver*> AsyncDriver::Begin(StoreOpaque& store,
                                                std::string_view where) {
  const Config& config = store.engine().config();
  if (!config.async_support) {
    return absl::FailedPreconditionError(absl::StrCat(
        Sv(where),
        ": the engine's Config::async_support is off; use the synchronous "
        "call"));
  }
  std::unique_ptr<AsyncDriver>& slot = store.impl().async_driver;
  internal::EngineImpl* engine = store.engine().impl();
  if (slot == nullptr) slot = engine->idle_async_drivers.Take();
  if (slot != nullptr) {
    slot->store_ = &store;
    store.async_driver_ = slot.get();
  } else {
    if (config.async_stack_size < kMinAsyncStack) {
      return absl::InvalidArgumentError(absl::StrCat(
          Sv(where), ": Config::async_stack_size is ", config.async_stack_size,
          " bytes; at least ", kMinAsyncStack, " are needed (",
          runtime::kHostStackReserve, " are kept for host frames)"));
    }
    if (engine->allocator == nullptr) return engine->allocator_status;
    runtime::InstanceAllocator* allocator = engine->allocator.get();
    absl::StatusOr<runtime::FiberStack> stack = allocator->AllocateFiberStack();
    if (!stack.ok()) {
      return absl::Status(stack.status().code(),
                          absl::StrCat(Sv(where), ": ", stack.status().message()));
    }
    std::unique_ptr<AsyncDriver> driver(new AsyncDriver(store));
    AsyncDriver* d = driver.get();
    d->impl_->allocator = allocator;
    d->impl_->fiber.emplace(*std::move(stack), [d](runtime::Fiber& f) {
      for (;;) {
        d->job_.ops->run(d->job_.object);
        d->job_finished_ = true;
        f.Suspend();
        if (d->impl_->shutdown) return;
      }
    });
    d->fiber_ = &*d->impl_->fiber;
    slot = std::move(driver);
    store.async_driver_ = slot.get();
  }
  // A finished call whose result was not taken yet keeps it (in its
  // AsyncCall) and gives the driver up.
  if (slot->busy_ && slot->job_finished_) slot->EvictResult();
  if (slot->busy_) {
    return absl::FailedPreconditionError(absl::StrCat(
        Sv(where),
        ": the store is running an async call already (one at a time; a "
        "host function inside it calls wasm with the synchronous "
        "Func::Call / TypedFunc::Call, which runs on the same fiber)"));
  }
  return slot.get();
}

AsyncDriver::AsyncDriver(StoreOpaque& store)
    : store_(&store), impl_(new Impl) {}

void AsyncDriver::Detach() {
  // A finished result outlives the store in its AsyncCall.
  if (busy_ && job_finished_) EvictResult();
  if (busy_) {
    if (owner_ != nullptr) owner_->Orphan();
    Cancel();
  }
  if (fiber_->running()) {
    std::fprintf(stderr, "kiln: a store was destroyed inside its async call\n");
    std::abort();
  }
}

void AsyncDriver::Retire(std::unique_ptr<AsyncDriver> driver) {
  driver->Detach();
  // A fiber that ran to its end cannot take jobs any more.
  if (driver->fiber_->done()) return;
  // A waker set but never run (no Poll after SetWaker) goes with the call;
  // the next store's calls must not meet a Wake of this one's.
  driver->ForgetWakes();
  EngineImpl* engine = driver->store_->engine().impl();
  driver->store_ = nullptr;
  engine->idle_async_drivers.Put(std::move(driver));  // or destroyed
}

AsyncDriver::~AsyncDriver() {
  if (store_ != nullptr) Detach();
  ForgetWakes();
  delete[] wakers_;
  runtime::Fiber& fiber = *impl_->fiber;
  if (fiber.started() && !fiber.done()) {
    impl_->shutdown = true;
    fiber.Resume();  // the body returns
  }
  impl_->allocator->DeallocateFiberStack(std::move(fiber).TakeStack());
  delete impl_;
}

void AsyncDriver::FreeHeapJob() {
  ::operator delete(job_.object);
  heap_job_ = false;
}

void AsyncDriver::Cancel() {
  if (!busy_) return;
  if (job_started_) {
    cancelled_ = true;
    while (!job_finished_) Poll();
  }
  FinishJob(/*result_taken=*/false);
}

// The waker's protocol (Rust's AtomicWaker, with a waker that stays set
// and runs at every wake). The waker lives in one of two slots (kWakeCur);
// a Wake runs it in place (kWakeHeld, kWakeHeldSlot). Meanwhile SetWaker
// and EndWakes write the other slot and make it current, so the running
// one is neither destroyed nor moved; once it returned, its holder sees
// it is no longer current and destroys it (on its thread). A wake
// meanwhile (a yield inside a waker that polls inline, or a Set on a third
// thread) marks kWakeAgain: the holder runs the current waker again, so no
// wake is lost and no waker runs twice at once. When not held, the other
// slot is empty. The lock bit is held for moves only, never while a waker
// runs (it may poll, drop or set the waker of its call) or is destroyed.
namespace {
constexpr uint32_t SlotBit(uint32_t slot, uint32_t bit) {
  return slot != 0 ? bit : 0;
}
}  // namespace

inline uint32_t AsyncDriver::LockWake() {
  uint32_t s = wake_state_.load(std::memory_order_relaxed) & ~kWakeLocked;
  if (ABSL_PREDICT_TRUE(wake_state_.compare_exchange_weak(
          s, s | kWakeLocked, std::memory_order_acquire,
          std::memory_order_relaxed))) {
    return s;
  }
  return LockWakeContended();
}

uint32_t AsyncDriver::LockWakeContended() {
  uint32_t s = wake_state_.load(std::memory_order_relaxed);
  for (int spins = 0;; ++spins) {
    if ((s & kWakeLocked) == 0) {
      if (wake_state_.compare_exchange_weak(s, s | kWakeLocked,
                                            std::memory_order_acquire,
                                            std::memory_order_relaxed)) {
        return s;
      }
      continue;
    }
    // The other side is between two instructions of a move; it may have
    // been preempted.
    if (spins >= 64) std::this_thread::yield();
    s = wake_state_.load(std::memory_order_relaxed);
  }
}

void AsyncDriver::WakeSlow() {
  uint32_t s = LockWake();
  if (s & kWakeHeld) {  // its holder runs it again when it returns
    UnlockWake(s | kWakeAgain);
    return;
  }
  if ((s & kWakeFull) == 0) {  // the next SetWaker runs its waker
    UnlockWake(s | kWakeMissed);
    return;
  }
  WakeFrame frame;
  holder_thread_ = std::this_thread::get_id();
  wake_frame_ = &frame;
  // Stays valid while held: only ForgetWakes takes it, handing it to
  // `frame` (same thread) or waiting for this run (another thread).
  absl::AnyInvocable<void()>* const slots = wakers_;
  uint32_t slot = (s & kWakeCur) ? 1 : 0;
  UnlockWake(s | kWakeHeld | SlotBit(slot, kWakeHeldSlot));
  for (;;) {
    slots[slot]();
    // The waker dropped the store on this thread: the driver is parked or
    // gone, its slots are this frame's.
    if (frame.detached) {
      delete[] frame.orphan;
      return;
    }
    s = LockWake();
    if (ABSL_PREDICT_TRUE(((s & kWakeCur) ? 1u : 0u) == slot)) {
      if (ABSL_PREDICT_TRUE((s & kWakeAgain) == 0)) {
        // After this store the driver may be reused or destroyed by
        // another thread: nothing below touches it.
        UnlockWake(s & ~(kWakeHeld | kWakeHeldSlot));
        return;
      }
      UnlockWake(s & ~kWakeAgain);  // run it once more
      continue;
    }
    if (!EndReplacedRun(s, slots, slot)) return;
  }
}

bool AsyncDriver::EndReplacedRun(uint32_t s,
                                 absl::AnyInvocable<void()>* slots,
                                 uint32_t& slot) {
  // Replaced (by a waker or none) while it ran: it is destroyed here,
  // outside the lock; a wake meanwhile runs the current one.
  absl::AnyInvocable<void()> stale = std::move(slots[slot]);
  slot = (s & kWakeCur) ? 1 : 0;
  s &= ~kWakeHeldSlot;
  if ((s & kWakeAgain) && (s & kWakeFull)) {
    UnlockWake((s & ~kWakeAgain) | SlotBit(slot, kWakeHeldSlot));
    return true;
  }
  if (s & kWakeAgain) s |= kWakeMissed;  // reset to none meanwhile
  UnlockWake(s & ~(kWakeHeld | kWakeAgain));  // the driver is let go
  return false;
}

void AsyncDriver::SetWaker(absl::AnyInvocable<void()> waker) {
  const bool set = static_cast<bool>(waker);
  absl::AnyInvocable<void()>* fresh =
      wakers_ == nullptr ? new absl::AnyInvocable<void()>[2] : nullptr;
  absl::AnyInvocable<void()> old;  // destroyed outside the lock
  uint32_t s = LockWake();
  if (fresh != nullptr) wakers_ = fresh;  // only this side writes it
  uint32_t cur = (s & kWakeCur) ? 1 : 0;
  // Never the running slot: the other one becomes current.
  if ((s & kWakeHeld) && cur == ((s & kWakeHeldSlot) ? 1u : 0u)) cur ^= 1;
  old = std::move(wakers_[cur]);
  wakers_[cur] = std::move(waker);
  s = (s & ~(kWakeCur | kWakeFull)) | SlotBit(cur, kWakeCur) |
      (set ? kWakeFull : 0);
  const bool missed = set && (s & kWakeMissed);
  if (set) s &= ~kWakeMissed;
  UnlockWake(s);
  old = nullptr;
  if (missed) Wake();
}

void AsyncDriver::EndWakes() {
  absl::AnyInvocable<void()> dropped;  // destroyed outside the lock
  uint32_t s = LockWake();
  s &= ~(kWakeFull | kWakeAgain | kWakeMissed);
  if (s & kWakeHeld) {
    // The running slot stays; none is current (the other slot, emptied).
    const uint32_t other = (s & kWakeHeldSlot) ? 0 : 1;
    dropped = std::move(wakers_[other]);
    s = (s & ~kWakeCur) | SlotBit(other, kWakeCur);
  } else if (wakers_ != nullptr) {  // (none: a wake without a waker)
    dropped = std::move(wakers_[(s & kWakeCur) ? 1 : 0]);
    s &= ~kWakeCur;  // both empty: the state is 0
  }
  UnlockWake(s);
}

void AsyncDriver::ForgetWakes() {
  absl::AnyInvocable<void()> dropped[2];  // destroyed outside the lock
  uint32_t s = LockWake();
  // A holder on another thread returns (it must not wait for this thread:
  // the header comment's rule for wakers).
  while ((s & kWakeHeld) && holder_thread_ != std::this_thread::get_id()) {
    UnlockWake(s);
    std::this_thread::yield();
    s = LockWake();
  }
  if (s & kWakeHeld) {
    // Up this stack (the waker dropped the store): its slot must outlive
    // this driver's use, so the holder deletes the slots once it returned.
    wake_frame_->detached = true;
    wake_frame_->orphan = wakers_;
    wakers_ = nullptr;
  } else if (wakers_ != nullptr) {  // kept for the next store's calls
    dropped[0] = std::move(wakers_[0]);
    dropped[1] = std::move(wakers_[1]);
  }
  UnlockWake(0);
}

absl::Status AsyncDriver::Suspend() {
  if (!cancelled_) fiber_->Suspend();
  if (cancelled_) {
    return absl::CancelledError("async call dropped while it was waiting");
  }
  return absl::OkStatus();
}

IdleAsyncDrivers::~IdleAsyncDrivers() {
  for (Shard& shard : shards_) {
    for (AsyncDriver* d : shard.idle) delete d;
  }
}

size_t IdleAsyncDrivers::ThisThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard =
      next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::unique_ptr<AsyncDriver> IdleAsyncDrivers::Take() {
  Shard& shard = shards_[ThisThreadShard()];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.idle.empty()) return nullptr;
  AsyncDriver* d = shard.idle.back();
  shard.idle.pop_back();
  return std::unique_ptr<AsyncDriver>(d);
}

std::unique_ptr<AsyncDriver> IdleAsyncDrivers::Put(
    std::unique_ptr<AsyncDriver> driver) {
  Shard& shard = shards_[ThisThreadShard()];
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.idle.size() >= kMaxPerShard) return driver;
  shard.idle.push_back(driver.release());
  return nullptr;
}

absl::StatusOr<AsyncDriver*> RunningDriver(StoreOpaque& store,
                                           std::string_view where) {
  AsyncDriver* d = store.impl().async_driver.get();
  if (d == nullptr || !d->running()) {
    return absl::FailedPreconditionError(absl::StrCat(
        Sv(where),
        ": called outside an async call (it needs Config::async_support and "
        "an async entry point: CallAsync, InstantiateAsync, ...)"));
  }
  return d;
}

absl::Status SyncCallRefusedError(std::string_view where) {
  return absl::FailedPreconditionError(absl::StrCat(
      Sv(where),
      ": the store has Config::async_support: call wasm with CallAsync / "
      "InstantiateAsync (host functions inside an async call may call "
      "synchronously)"));
}

absl::Status Yield(StoreOpaque& store, std::string_view where) {
  absl::StatusOr<AsyncDriver*> d = RunningDriver(store, where);
  if (!d.ok()) return d.status();
  (*d)->Wake();
  return (*d)->Suspend();
}

}  // namespace kiln::internal
