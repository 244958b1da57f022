#include "engine/store_id.h"

#include <atomic>

namespace kiln {

StoreId StoreId::Next() {
  // 2^64 stores never happen: at a billion stores a second the counter
  // lasts five centuries, so an id is never reused.
  static std::atomic<uint64_t> next{1};
  return StoreId(next.fetch_add(1, std::memory_order_relaxed));
}

absl::Status WrongStoreError() {
  return absl::InvalidArgumentError("object used with the wrong store");
}

}  // namespace kiln
