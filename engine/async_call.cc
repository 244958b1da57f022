#include "engine/async_call.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
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
  // A waker set but never run (no Poll after SetWaker) goes with the call.
  driver->waker_ = nullptr;
  EngineImpl* engine = driver->store_->engine().impl();
  driver->store_ = nullptr;
  engine->idle_async_drivers.Put(std::move(driver));  // or destroyed
}

AsyncDriver::~AsyncDriver() {
  if (store_ != nullptr) Detach();
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

void AsyncDriver::Wake() {
  if (waker_) waker_();
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
