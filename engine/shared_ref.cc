#include "engine/shared_ref.h"

namespace kiln::internal {

uint32_t SharedRefCounts::ThreadShard() {
  // Threads get shards round robin on first use: up to kShards threads
  // never share one.
  static std::atomic<uint32_t> next{0};
  thread_local uint32_t shard =
      next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

void SharedRefCounts::AcquireStrong() {
  // Relaxed, as shared_ptr: the caller already holds a reference.
  strong_.fetch_add(1, std::memory_order_relaxed);
  shared_.fetch_add(1, std::memory_order_relaxed);
}

void SharedRefCounts::ReleaseStrong() {
  if (strong_.fetch_sub(1, std::memory_order_acq_rel) == 1) Kill();
  ReleaseShared();
}

void SharedRefCounts::AcquireLocal() {
  std::atomic<int64_t>& shard = shards_[ThreadShard()].count;
  if (shard.fetch_add(1, std::memory_order_relaxed) >= kDeadThreshold) {
    // Folded already: count it in the shared count instead.
    shard.fetch_sub(1, std::memory_order_relaxed);
    shared_.fetch_add(1, std::memory_order_relaxed);
  }
}

void SharedRefCounts::ReleaseLocal() {
  std::atomic<int64_t>& shard = shards_[ThreadShard()].count;
  // Release: what this thread did with the object happens before the
  // fold (Kill's exchange reads this) and so before its destruction.
  if (shard.fetch_sub(1, std::memory_order_release) >= kDeadThreshold) {
    // Our reference is in the shared count (folded): drop it there. The
    // object is alive until then, so the undo above is safe.
    shard.fetch_add(1, std::memory_order_relaxed);
    ReleaseShared();
  }
}

void SharedRefCounts::ReleaseShared() {
  if (shared_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_(this);
}

void SharedRefCounts::Kill() {
  // Once, even when a strong reference is made from a local one later and
  // goes too.
  if (killed_.exchange(true, std::memory_order_acq_rel)) return;
  // Local references dropped on already dead shards decrement the shared
  // count before their shard's count is folded in: the bias keeps it from
  // touching zero meanwhile.
  shared_.fetch_add(kFoldBias, std::memory_order_relaxed);
  int64_t sum = 0;
  for (Shard& s : shards_) {
    sum += s.count.exchange(kDead, std::memory_order_acq_rel);
  }
  shared_.fetch_add(sum - kFoldBias, std::memory_order_acq_rel);
  ReleaseShared();  // the shards' base reference
}

}  // namespace kiln::internal
