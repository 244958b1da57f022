// ParkingLot: the wait queue of one shared memory, keyed by address, for
// memory.atomic.wait32/wait64 and memory.atomic.notify (a futex in user
// space, as the threads proposal describes).
//
// Park compares the value under the lot's lock, so a Notify that follows
// a store of a new value either finds the waiter parked or the waiter sees
// the new value: no wake-up is lost. Waiters at one address are woken in
// the order they parked.
#ifndef KILN_RUNTIME_MEMORY_PARKING_LOT_H_
#define KILN_RUNTIME_MEMORY_PARKING_LOT_H_

#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"

namespace kiln::runtime {

class ParkingLot {
 public:
  // The results of memory.atomic.wait*.
  enum class WaitResult : uint32_t { kOk = 0, kNotEqual = 1, kTimedOut = 2 };

  ParkingLot() = default;
  ParkingLot(const ParkingLot&) = delete;
  ParkingLot& operator=(const ParkingLot&) = delete;

  // Parks the calling thread at `key` if `still_expected()` (called under
  // the lot's lock) is true, until a Notify at `key` wakes it or
  // `timeout_ns` (none: forever) passes.
  WaitResult Park(uintptr_t key, absl::FunctionRef<bool()> still_expected,
                  std::optional<uint64_t> timeout_ns);

  // Wakes up to `count` threads parked at `key`; returns how many.
  uint32_t Notify(uintptr_t key, uint32_t count);

  // Threads parked at `key` now (tests).
  uint32_t NumParked(uintptr_t key);

 private:
  struct Waiter {
    std::condition_variable cv;
    bool woken = false;
  };

  std::mutex mu_;
  absl::flat_hash_map<uintptr_t, std::list<Waiter*>> queues_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_MEMORY_PARKING_LOT_H_
