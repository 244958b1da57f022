// Store<T>: owns instances and host-created objects (functions, memories,
// tables, globals) and the runtime limits their calls share; carries the
// embedder's data T. A store is used by one thread at a time. Handles
// (Func, Memory, Table, Global, Instance) from a store are valid while it
// lives and must only be used with it: each carries the store's StoreId
// (engine/store_id.h), and every API that takes a store and a handle
// checks it first ("object used with the wrong store"), so a handle that
// outlived its store is an error, never a read of freed memory.
#ifndef KILN_ENGINE_STORE_H_
#define KILN_ENGINE_STORE_H_

#include <functional>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/engine.h"
#include "engine/limits.h"
#include "engine/store_id.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln {

namespace internal {
struct StoreImpl;
class AsyncDriver;

// A distinct address per store data type T (Store<T>), so that untyped
// paths (HostFunc::IntoFunc, Caller<T> from Caller<>) can refuse a host
// function written for Caller<T> in a store of another type.
template <typename T>
const void* StoreDataTag() {
  static const char tag = 0;
  return &tag;
}
}  // namespace internal

// The part of a store that does not depend on T; API functions take it.
class StoreOpaque {
 public:
  ~StoreOpaque();
  StoreOpaque(const StoreOpaque&) = delete;
  StoreOpaque& operator=(const StoreOpaque&) = delete;

  const Engine& engine() const { return engine_; }
  // Never reused, never 0: see engine/store_id.h.
  StoreId id() const { return id_; }
  // internal::StoreDataTag<T>() of the Store<T> this is.
  const void* data_tag() const { return data_tag_; }
  abi::VMRuntimeLimits* runtime_limits() { return &limits_; }
  internal::StoreImpl& impl() { return *impl_; }

  // Resource limits (engine/limits.h). `limiter` is not owned and must
  // outlive its use by the store; null removes it. Store<T> also takes a
  // function of its data (wasmtime's form).
  void SetLimiter(ResourceLimiter* limiter) { limiter_hook_.Set(limiter); }
  ResourceLimiter* limiter() const { return limiter_hook_.limiter(); }
  // What instances of this store consult (runtime::InstanceConfig::limiter).
  internal::StoreLimiterHook* limiter_hook() { return &limiter_hook_; }

  // --- Interruption (engine/interrupt.cc).
  // Fuel (Config::consume_fuel): sets / reads the fuel left. Errors with
  // FailedPrecondition when the engine does not consume fuel. Fuel starts
  // at 0, so set some before calling wasm. After an out-of-fuel trap the
  // store stays usable: set more fuel and call again.
  absl::Status SetFuel(uint64_t fuel);
  absl::StatusOr<uint64_t> GetFuel() const;
  // Epoch interruption (Config::epoch_interruption): wasm is interrupted
  // once the engine's epoch reaches its current value plus
  // `ticks_beyond_current`. The deadline starts at epoch 0 (wasm traps at
  // its first check until a deadline is set).
  void SetEpochDeadline(uint64_t ticks_beyond_current);
  // What happens at the deadline: trap "interrupt" (the default) ...
  void EpochDeadlineTrap();
  // ... or run `callback`: OK(delta) continues with the deadline moved to
  // the current epoch + delta (wasmtime's UpdateDeadline::Continue); an
  // error traps "interrupt: <its message>". Runs on the thread running
  // wasm, inside the wasm call (it may use the store, but not call into
  // wasm).
  using EpochDeadlineCallbackFn =
      std::function<absl::StatusOr<uint64_t>(StoreOpaque&)>;
  void EpochDeadlineCallback(EpochDeadlineCallbackFn callback);
  // Async stores only (engine/async_call.h): at the deadline the guest
  // yields -- its async call returns kPending, with the waker run at once
  // -- and continues at the next Poll with the deadline moved to the
  // current epoch + `delta` (wasmtime's epoch_deadline_async_yield_and_
  // update). Outside an async call the deadline traps "interrupt: ...".
  void EpochDeadlineAsyncYieldAndUpdate(uint64_t delta);
  // Async stores with fuel (Config::consume_fuel): the guest yields -- its
  // async call returns kPending, with the waker run at once -- each time
  // it has used `interval` more units of fuel, and continues at the next
  // Poll, until the store's fuel (SetFuel) is used up; then it traps "all
  // fuel consumed" as without an interval (wasmtime's
  // fuel_async_yield_interval). 0 turns it off. The fuel is handed to
  // compiled code `interval` at a time; GetFuel counts all of it.
  // FailedPrecondition without fuel or async support.
  absl::Status FuelAsyncYieldInterval(uint64_t interval);

  // --- Async (engine/async_call.h).
  // True while a synchronous call into wasm (Func::Call, TypedFunc::Call,
  // Instance::Create, InstancePre::Instantiate) is an error: the engine
  // has Config::async_support and this store's async call is not the one
  // running (host functions inside it may call synchronously).
  bool sync_call_refused() const { return sync_call_refused_; }

 protected:
  StoreOpaque(const Engine& engine, const void* data_tag);
  void SetLimiterFn(std::function<ResourceLimiter*()> fn) {
    limiter_hook_.SetFn(std::move(fn));
  }

 private:
  Engine engine_;
  StoreId id_;
  const void* data_tag_;
  abi::VMRuntimeLimits limits_;
  std::unique_ptr<internal::StoreImpl> impl_;
  internal::StoreLimiterHook limiter_hook_{this};
  // Interruption (engine/interrupt.cc): the deadline callback (empty:
  // trap) and the VMRuntimeLimits hook that runs it.
  EpochDeadlineCallbackFn epoch_deadline_callback_;
  static bool OnEpochDeadline(void* store);
  // Fuel yield interval (0: none) and the fuel not yet handed to compiled
  // code (VMRuntimeLimits::fuel_consumed holds at most one interval).
  uint64_t fuel_yield_interval_ = 0;
  uint64_t fuel_reserve_ = 0;
  static bool OnOutOfFuel(void* store);
  // Cleared by internal::AsyncDriver while the store's async call runs.
  bool sync_call_refused_;
  // StoreImpl::async_driver, for the inline path of the async entry points.
  internal::AsyncDriver* async_driver_ = nullptr;
  friend class internal::AsyncDriver;
};

template <typename T = void>
class Store : public StoreOpaque {
 public:
  Store(const Engine& engine, T data)
      : StoreOpaque(engine, internal::StoreDataTag<T>()),
        data_(std::move(data)) {}
  T& data() { return data_; }
  const T& data() const { return data_; }

  // `limiter(data())` is asked each time a limit is checked, so the
  // limiter usually lives in T (wasmtime's Store::limiter).
  using StoreOpaque::SetLimiter;
  void SetLimiter(std::function<ResourceLimiter&(T&)> limiter) {
    SetLimiterFn([this, f = std::move(limiter)]() -> ResourceLimiter* {
      return &f(data_);
    });
  }

 private:
  T data_;
};

template <>
class Store<void> : public StoreOpaque {
 public:
  explicit Store(const Engine& engine)
      : StoreOpaque(engine, internal::StoreDataTag<void>()) {}
};

}  // namespace kiln

#endif  // KILN_ENGINE_STORE_H_
