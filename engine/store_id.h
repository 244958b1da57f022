// StoreId: a store's identity, carried by every handle to store-owned
// state (Func, Memory, Table, Global, Instance) and checked on every use.
//
// An address cannot serve: a freed store's address comes back for the next
// one, and a stale handle would then pass the check and read freed memory.
// Ids come from a process-wide 64-bit counter and are never reused; 0 is
// never a store's (it marks a handle or funcref value of no known store).
#ifndef KILN_ENGINE_STORE_ID_H_
#define KILN_ENGINE_STORE_ID_H_

#include <cstdint>

#include "absl/status/status.h"

namespace kiln {

class StoreId {
 public:
  constexpr StoreId() = default;
  // A fresh id, never handed out before in this process.
  static StoreId Next();

  constexpr uint64_t value() const { return value_; }
  constexpr static StoreId FromValue(uint64_t v) { return StoreId(v); }
  constexpr bool is_valid() const { return value_ != 0; }

  friend constexpr bool operator==(StoreId a, StoreId b) {
    return a.value_ == b.value_;
  }
  friend constexpr bool operator!=(StoreId a, StoreId b) {
    return a.value_ != b.value_;
  }

 private:
  constexpr explicit StoreId(uint64_t v) : value_(v) {}
  uint64_t value_ = 0;
};

// The error every API returns for a handle of another (or a dead) store.
absl::Status WrongStoreError();

}  // namespace kiln

#endif  // KILN_ENGINE_STORE_ID_H_
