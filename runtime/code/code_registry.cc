#include "runtime/code/code_registry.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <new>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {

const FunctionRange* CodeRange::LookupFunction(uintptr_t pc) const {
  if (!Contains(pc)) return nullptr;
  const uint64_t offset = pc - start;
  // First function starting after offset; the candidate is the one before.
  size_t lo = 0, hi = functions.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (functions[mid].start <= offset) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == 0) return nullptr;
  const FunctionRange& f = functions[lo - 1];
  return offset < f.end ? &f : nullptr;
}

std::optional<abi::TrapCode> CodeRange::LookupTrap(uintptr_t pc) const {
  if (!Contains(pc)) return std::nullopt;
  const uint64_t offset = pc - start;
  size_t lo = 0, hi = trap_sites.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (trap_sites[mid].code_offset < offset) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo < trap_sites.size() && trap_sites[lo].code_offset == offset) {
    return trap_sites[lo].code;
  }
  return std::nullopt;
}

absl::Status CodeRange::Validate() const {
  if (start == 0 || end <= start) {
    return absl::InvalidArgumentError(
        "CodeRange: empty or null code range");
  }
  const uint64_t size = end - start;
  for (size_t i = 0; i < functions.size(); ++i) {
    const FunctionRange& f = functions[i];
    if (f.start >= f.end || f.end > size) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CodeRange: function ", f.func_index, " has bad range [", f.start,
          ", ", f.end, ") in ", size, " bytes of code"));
    }
    if (i > 0 && functions[i - 1].end > f.start) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CodeRange: function ", f.func_index,
          " is not sorted after / overlaps function ",
          functions[i - 1].func_index));
    }
  }
  for (size_t i = 0; i < trap_sites.size(); ++i) {
    if (trap_sites[i].code_offset >= size ||
        (i > 0 && trap_sites[i - 1].code_offset >= trap_sites[i].code_offset)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CodeRange: trap site ", i, " at offset ", trap_sites[i].code_offset,
          " is out of range or not strictly sorted"));
    }
  }
  return absl::OkStatus();
}

// An immutable sorted array of ranges, by start address.
struct CodeRegistry::Snapshot {
  size_t size;
  const CodeRange* ranges[1];  // really `size` entries

  static Snapshot* New(size_t n) {
    void* p = ::operator new(sizeof(Snapshot) +
                             sizeof(const CodeRange*) * (n == 0 ? 0 : n - 1));
    auto* s = static_cast<Snapshot*>(p);
    s->size = n;
    return s;
  }
  static void Delete(Snapshot* s) { ::operator delete(s); }
};

CodeRegistry& CodeRegistry::Global() {
  static CodeRegistry* registry = new CodeRegistry();  // never destroyed
  return *registry;
}

CodeRegistry::~CodeRegistry() {
  if (Snapshot* s = current_.load()) Snapshot::Delete(s);
}

void CodeRegistry::Publish(Snapshot* next) {
  Snapshot* old = current_.exchange(next, std::memory_order_seq_cst);
  // RCU-style grace period: any reader that may have loaded `old` bumped
  // readers_ before loading it (both seq_cst), so once readers_ is seen at
  // zero after the exchange, nobody can still hold `old`.
  while (readers_.load(std::memory_order_seq_cst) != 0) sched_yield();
  if (old != nullptr) Snapshot::Delete(old);
}

absl::Status CodeRegistry::Register(const CodeRange* range) {
  if (absl::Status s = range->Validate(); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  Snapshot* cur = current_.load(std::memory_order_relaxed);
  const size_t n = cur == nullptr ? 0 : cur->size;
  size_t pos = 0;
  while (pos < n && cur->ranges[pos]->start < range->start) ++pos;
  if ((pos > 0 && cur->ranges[pos - 1]->end > range->start) ||
      (pos < n && cur->ranges[pos]->start < range->end)) {
    return absl::AlreadyExistsError(
        "CodeRegistry::Register: code range overlaps a registered range");
  }
  Snapshot* next = Snapshot::New(n + 1);
  for (size_t i = 0; i < pos; ++i) next->ranges[i] = cur->ranges[i];
  next->ranges[pos] = range;
  for (size_t i = pos; i < n; ++i) next->ranges[i + 1] = cur->ranges[i];
  Publish(next);
  return absl::OkStatus();
}

void CodeRegistry::Unregister(const CodeRange* range) {
  absl::MutexLock lock(&mu_);
  Snapshot* cur = current_.load(std::memory_order_relaxed);
  if (cur == nullptr) return;
  const size_t n = cur->size;
  size_t pos = 0;
  while (pos < n && cur->ranges[pos] != range) ++pos;
  if (pos == n) return;
  Snapshot* next = nullptr;
  if (n > 1) {
    next = Snapshot::New(n - 1);
    for (size_t i = 0, j = 0; i < n; ++i) {
      if (i != pos) next->ranges[j++] = cur->ranges[i];
    }
  }
  Publish(next);
}

const CodeRange* CodeRegistry::Lookup(uintptr_t pc) const {
  readers_.fetch_add(1, std::memory_order_seq_cst);
  const Snapshot* s = current_.load(std::memory_order_seq_cst);
  const CodeRange* found = nullptr;
  if (s != nullptr) {
    size_t lo = 0, hi = s->size;
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      if (s->ranges[mid]->start <= pc) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo > 0 && s->ranges[lo - 1]->Contains(pc)) found = s->ranges[lo - 1];
  }
  readers_.fetch_sub(1, std::memory_order_release);
  return found;
}

size_t CodeRegistry::size() const {
  readers_.fetch_add(1, std::memory_order_seq_cst);
  const Snapshot* s = current_.load(std::memory_order_seq_cst);
  const size_t n = s == nullptr ? 0 : s->size;
  readers_.fetch_sub(1, std::memory_order_release);
  return n;
}

absl::Status ScopedCodeRegistration::Register(const CodeRange* range) {
  Reset();
  if (absl::Status s = CodeRegistry::Global().Register(range); !s.ok()) {
    return s;
  }
  range_ = range;
  return absl::OkStatus();
}

void ScopedCodeRegistration::Reset() {
  if (range_ != nullptr) CodeRegistry::Global().Unregister(range_);
  range_ = nullptr;
}

}  // namespace kiln::runtime
