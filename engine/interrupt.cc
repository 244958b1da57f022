// Epoch interruption and fuel: the engine's epoch counter and the store's
// deadline / fuel, kept in the store's VMRuntimeLimits where compiled code
// reads them (runtime/abi/vm_offsets.h, codegen/translate checks).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/async_call.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "engine/store.h"

namespace kiln {

void Engine::IncrementEpoch() const {
  std::atomic_ref<uint64_t>(impl_->epoch).fetch_add(1,
                                                    std::memory_order_relaxed);
}

uint64_t Engine::CurrentEpoch() const {
  return std::atomic_ref<uint64_t>(impl_->epoch).load(
      std::memory_order_relaxed);
}

namespace {

absl::Status FuelNotEnabled() {
  return absl::FailedPreconditionError(
      "fuel is not enabled: the engine's Config::consume_fuel is false");
}

// Saturating: a deadline past the end of time is "never".
uint64_t DeadlineAfter(uint64_t epoch, uint64_t delta) {
  return delta > std::numeric_limits<uint64_t>::max() - epoch
             ? std::numeric_limits<uint64_t>::max()
             : epoch + delta;
}

}  // namespace

absl::Status StoreOpaque::SetFuel(uint64_t fuel) {
  if (!engine_.config().consume_fuel) return FuelNotEnabled();
  // fuel_consumed is minus the fuel left; compiled code counts it up to 0.
  // Fuel beyond INT64_MAX is clamped (about 290 years of operators).
  const uint64_t clamped =
      std::min<uint64_t>(fuel, std::numeric_limits<int64_t>::max());
  // With a yield interval, compiled code gets one interval at a time.
  const uint64_t active = fuel_yield_interval_ == 0
                              ? clamped
                              : std::min(clamped, fuel_yield_interval_);
  fuel_reserve_ = clamped - active;
  limits_.fuel_consumed = -static_cast<int64_t>(active);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> StoreOpaque::GetFuel() const {
  if (!engine_.config().consume_fuel) return FuelNotEnabled();
  // A straight-line stretch may overshoot past 0 before the next check.
  const uint64_t active = limits_.fuel_consumed >= 0
                              ? uint64_t{0}
                              : static_cast<uint64_t>(-limits_.fuel_consumed);
  return active + fuel_reserve_;
}

absl::Status StoreOpaque::FuelAsyncYieldInterval(uint64_t interval) {
  if (!engine_.config().consume_fuel) return FuelNotEnabled();
  if (!engine_.config().async_support) {
    return absl::FailedPreconditionError(
        "FuelAsyncYieldInterval: the engine's Config::async_support is off "
        "(only an async call can yield)");
  }
  absl::StatusOr<uint64_t> fuel = GetFuel();
  fuel_yield_interval_ = interval;
  limits_.on_out_of_fuel = interval == 0 ? nullptr : &StoreOpaque::OnOutOfFuel;
  return SetFuel(*fuel);  // re-split into active fuel and reserve
}

// Called by the OutOfFuel builtin (runtime/vm/builtins.cc) with the
// VMContext's store: the active interval is used up. Yields, then hands
// compiled code the next interval from the reserve; false (trap) when the
// reserve is empty. Nothing with a destructor is alive when it returns.
bool StoreOpaque::OnOutOfFuel(void* store) {
  StoreOpaque& s = *static_cast<StoreOpaque*>(store);
  if (s.fuel_yield_interval_ == 0 || s.fuel_reserve_ == 0) return false;
  if (absl::Status st = internal::Yield(s, "fuel async yield"); !st.ok()) {
    s.impl().pending_trap = Trap::WithMessage(
        TrapCode::kOutOfFuel,
        absl::StrCat(std::string(abi::TrapMessage(TrapCode::kOutOfFuel)),
                     ": ", st.message()));
    return false;
  }
  // The embedder may have changed the fuel while the call waited.
  while (s.limits_.fuel_consumed >= 0 && s.fuel_reserve_ > 0) {
    const uint64_t take = std::min(s.fuel_yield_interval_, s.fuel_reserve_);
    s.fuel_reserve_ -= take;
    // An overshoot past 0 (a straight-line stretch) is paid from it.
    s.limits_.fuel_consumed -= static_cast<int64_t>(take);
  }
  return s.limits_.fuel_consumed < 0;
}

void StoreOpaque::SetEpochDeadline(uint64_t ticks_beyond_current) {
  // Attach to the engine's counter on first use; until then epoch_ptr
  // points at a constant 0, which reaches the initial deadline 0 at once
  // (as wasmtime: no deadline set means interrupt immediately).
  limits_.epoch_ptr = &engine_.impl()->epoch;
  limits_.on_epoch_deadline = &StoreOpaque::OnEpochDeadline;
  limits_.epoch_deadline =
      DeadlineAfter(engine_.CurrentEpoch(), ticks_beyond_current);
}

void StoreOpaque::EpochDeadlineTrap() { epoch_deadline_callback_ = nullptr; }

void StoreOpaque::EpochDeadlineCallback(EpochDeadlineCallbackFn callback) {
  epoch_deadline_callback_ = std::move(callback);
  limits_.epoch_ptr = &engine_.impl()->epoch;
  limits_.on_epoch_deadline = &StoreOpaque::OnEpochDeadline;
}

void StoreOpaque::EpochDeadlineAsyncYieldAndUpdate(uint64_t delta) {
  // The new deadline counts from the epoch at the yield (as wasmtime sets
  // it before yielding): ticks while the guest waited to be polled again
  // count towards it.
  EpochDeadlineCallback([delta](StoreOpaque& s) -> absl::StatusOr<uint64_t> {
    const uint64_t deadline = DeadlineAfter(s.engine().CurrentEpoch(), delta);
    if (absl::Status st = internal::Yield(s, "epoch deadline async yield");
        !st.ok()) {
      return st;
    }
    const uint64_t now = s.engine().CurrentEpoch();
    return deadline > now ? deadline - now : 0;
  });
}

// Called by the NewEpoch builtin (runtime/vm/builtins.cc) with the
// VMContext's store. Everything with a destructor (the callback's result)
// is gone when it returns; the builtin raises the trap afterwards.
bool StoreOpaque::OnEpochDeadline(void* store) {
  StoreOpaque& s = *static_cast<StoreOpaque*>(store);
  if (!s.epoch_deadline_callback_) return false;
  absl::StatusOr<uint64_t> delta = s.epoch_deadline_callback_(s);
  if (!delta.ok()) {
    // The call that entered wasm reports this in place of the bare
    // "interrupt", so the embedder sees why its callback stopped the guest.
    s.impl().pending_trap = Trap::WithMessage(
        TrapCode::kInterrupt,
        absl::StrCat(std::string(abi::TrapMessage(TrapCode::kInterrupt)), ": ",
                     delta.status().message()));
    return false;
  }
  s.limits_.epoch_deadline = DeadlineAfter(s.engine_.CurrentEpoch(), *delta);
  return true;
}

}  // namespace kiln
