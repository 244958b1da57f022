#include "engine/store_id.h"

#include <atomic>

namespace kiln {

StoreId StoreId::Next() {
  // 2^64 stores never happen: at a billion stores a second the counter
  // lasts five centuries, so an id is never reused. Each thread takes a
  // block of ids at a time: a counter bumped by every store on every
  // thread is one cache line bounced between cores per store, which cost
  // more than instantiating an empty module (benchmarks/instantiate.cc).
  // Ids stay unique; they are only no longer in creation order.
  constexpr uint64_t kBlock = 1024;
  static std::atomic<uint64_t> next{1};
  thread_local uint64_t local_next = 0;
  thread_local uint64_t local_end = 0;
  if (local_next == local_end) {
    local_next = next.fetch_add(kBlock, std::memory_order_relaxed);
    local_end = local_next + kBlock;
  }
  return StoreId(local_next++);
}

absl::Status WrongStoreError() {
  return absl::InvalidArgumentError("object used with the wrong store");
}

}  // namespace kiln
