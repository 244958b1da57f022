// SharedRef<T>: a reference-counted pointer (like std::shared_ptr) whose
// hot references are counted per thread, so that threads taking and
// dropping references to one object (a Store per request holds the Engine,
// an instance holds its Module) do not bounce one cache line between
// cores. On two threads, the shared count of std::shared_ptr cost more
// than the whole instantiation of an empty module (benchmarks/
// instantiate.cc).
//
// Two kinds of reference to one object:
//   - strong (a copy, Make): counted in the object's shared count, as
//     shared_ptr does. Embedder-held handles (Engine, Module) are strong.
//   - local (Local()): counted in one of kShards per-thread counters (the
//     calling thread's; a local reference may be dropped on another
//     thread). Taking and dropping one writes only that thread's cache
//     line. Used for the references the engine takes per store / per
//     instance.
// While a strong reference exists the object cannot die, so the per-thread
// counters may be anything (even negative: taken on one thread, dropped on
// another). When the last strong reference goes, the object switches to
// shared counting once (the Linux kernel's percpu_ref "kill"): every
// per-thread counter is folded into the shared count and marked dead; a
// local reference taken or dropped on a dead counter undoes its change
// there and counts in the shared count instead. The object is destroyed
// when the shared count reaches zero after that, by whichever reference
// goes last. A strong reference made later (from a local one) keeps
// counting in the shared count.
//
// Thread-safe as std::shared_ptr: one SharedRef object is not written by
// two threads at once; distinct SharedRefs to one object may be used by
// any threads.
#ifndef KILN_ENGINE_SHARED_REF_H_
#define KILN_ENGINE_SHARED_REF_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace kiln::internal {

// The counts of one object (not a template: engine/shared_ref.cc).
class SharedRefCounts {
 public:
  static constexpr uint32_t kShards = 16;
  // Bytes apart that two threads' writes must be: x86-64's adjacent-line
  // prefetcher fetches 64-byte lines in 128-byte pairs, so counters on
  // neighbouring 64-byte lines still bounce between cores.
  static constexpr size_t kNoFalseSharing = 128;

  explicit SharedRefCounts(void (*destroy)(SharedRefCounts*))
      : destroy_(destroy) {}
  SharedRefCounts(const SharedRefCounts&) = delete;
  SharedRefCounts& operator=(const SharedRefCounts&) = delete;

  // Strong references (counted in the shared count).
  void AcquireStrong();
  void ReleaseStrong();  // may destroy the object
  // Local references (counted on the calling thread's shard).
  void AcquireLocal();
  void ReleaseLocal();  // may destroy the object

  // Whether the per-thread counters were folded (the last strong
  // reference went once).
  bool killed_for_testing() const {
    return killed_.load(std::memory_order_acquire);
  }
  // The shard the calling thread counts on.
  static uint32_t ThreadShard();

 private:
  // A shard at or above this is dead (live values stay far below).
  static constexpr int64_t kDeadThreshold = int64_t{1} << 60;
  static constexpr int64_t kDead = int64_t{1} << 61;
  // Added to the shared count while folding, so references dropped on
  // dead shards before their counts are folded cannot take it to zero.
  static constexpr int64_t kFoldBias = int64_t{1} << 40;

  void ReleaseShared();
  void Kill();

  struct alignas(kNoFalseSharing) Shard {
    std::atomic<int64_t> count{0};
  };
  Shard shards_[kShards];
  // Strong references, plus one "base" reference for all the shards
  // until Kill.
  alignas(kNoFalseSharing) std::atomic<int64_t> shared_{1};
  std::atomic<int64_t> strong_{0};
  std::atomic<bool> killed_{false};
  void (*destroy_)(SharedRefCounts*);
};

// T may be incomplete where a SharedRef<T> is copied, moved or destroyed
// (only Make needs it complete), as with std::shared_ptr.
template <typename T>
class SharedRef {
 public:
  SharedRef() = default;
  // A new T(args...), with one strong reference.
  template <typename... Args>
  static SharedRef Make(Args&&... args) {
    auto* block = new Block(std::forward<Args>(args)...);
    block->AcquireStrong();
    return SharedRef(block, &block->value, /*local=*/false);
  }

  // A copy is strong, whatever `other` is.
  SharedRef(const SharedRef& other)
      : counts_(other.counts_), value_(other.value_) {
    if (counts_ != nullptr) counts_->AcquireStrong();
  }
  SharedRef(SharedRef&& other) noexcept
      : counts_(std::exchange(other.counts_, nullptr)),
        value_(std::exchange(other.value_, nullptr)),
        local_(other.local_) {}
  SharedRef& operator=(SharedRef other) noexcept {
    std::swap(counts_, other.counts_);
    std::swap(value_, other.value_);
    std::swap(local_, other.local_);
    return *this;
  }
  ~SharedRef() { Reset(); }

  // A local reference to the same object (counted on this thread).
  SharedRef Local() const {
    if (counts_ == nullptr) return SharedRef();
    counts_->AcquireLocal();
    return SharedRef(counts_, value_, /*local=*/true);
  }

  void Reset() {
    if (counts_ == nullptr) return;
    SharedRefCounts* c = std::exchange(counts_, nullptr);
    value_ = nullptr;
    if (local_) {
      c->ReleaseLocal();
    } else {
      c->ReleaseStrong();
    }
  }

  T* get() const { return value_; }
  T& operator*() const { return *value_; }
  T* operator->() const { return value_; }
  explicit operator bool() const { return value_ != nullptr; }
  bool is_local() const { return local_; }
  const SharedRefCounts* counts_for_testing() const { return counts_; }

 private:
  struct Block : SharedRefCounts {
    template <typename... Args>
    explicit Block(Args&&... args)
        : SharedRefCounts(&Destroy), value(std::forward<Args>(args)...) {}
    static void Destroy(SharedRefCounts* c) { delete static_cast<Block*>(c); }
    // Not on the shared count's line: the object's read-mostly fields
    // (a module's tables) are read on every instantiation.
    alignas(kNoFalseSharing) T value;
  };
  SharedRef(SharedRefCounts* counts, T* value, bool local)
      : counts_(counts), value_(value), local_(local) {}

  SharedRefCounts* counts_ = nullptr;
  T* value_ = nullptr;
  bool local_ = false;
};

}  // namespace kiln::internal

#endif  // KILN_ENGINE_SHARED_REF_H_
