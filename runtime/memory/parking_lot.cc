#include "runtime/memory/parking_lot.h"

#include <chrono>

namespace kiln::runtime {

ParkingLot::WaitResult ParkingLot::Park(uintptr_t key,
                                        absl::FunctionRef<bool()> still_expected,
                                        std::optional<uint64_t> timeout_ns) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!still_expected()) return WaitResult::kNotEqual;
  Waiter self;
  std::list<Waiter*>& queue = queues_[key];
  queue.push_back(&self);
  auto it = std::prev(queue.end());
  if (timeout_ns.has_value()) {
    // steady_clock: a wall-clock change must not shorten or stretch it.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::nanoseconds(*timeout_ns);
    self.cv.wait_until(lock, deadline, [&] { return self.woken; });
  } else {
    self.cv.wait(lock, [&] { return self.woken; });
  }
  if (self.woken) return WaitResult::kOk;  // Notify removed it.
  // Timed out: still queued (the map may have rehashed; look it up again).
  auto q = queues_.find(key);
  q->second.erase(it);
  if (q->second.empty()) queues_.erase(q);
  return WaitResult::kTimedOut;
}

uint32_t ParkingLot::Notify(uintptr_t key, uint32_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  auto q = queues_.find(key);
  if (q == queues_.end()) return 0;
  uint32_t woken = 0;
  std::list<Waiter*>& queue = q->second;
  while (woken < count && !queue.empty()) {
    Waiter* w = queue.front();
    queue.pop_front();
    w->woken = true;
    w->cv.notify_one();
    ++woken;
  }
  if (queue.empty()) queues_.erase(q);
  return woken;
}

uint32_t ParkingLot::NumParked(uintptr_t key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto q = queues_.find(key);
  return q == queues_.end() ? 0 : static_cast<uint32_t>(q->second.size());
}

}  // namespace kiln::runtime
