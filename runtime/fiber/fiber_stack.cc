#include "runtime/fiber/fiber_stack.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {

absl::StatusOr<FiberStack> FiberStack::Create(size_t size) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (size == 0) size = page;
  size = (size + page - 1) / page * page;
  const size_t total = size + page;
  void* p = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1,
                 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("FiberStack::Create: mmap of ", total,
                     " bytes failed: ", std::strerror(errno)));
  }
  if (mprotect(p, page, PROT_NONE) != 0) {
    const int err = errno;
    munmap(p, total);
    return absl::InternalError(absl::StrCat(
        "FiberStack::Create: mprotect of the guard page failed: ",
        std::strerror(err)));
  }
  FiberStack stack;
  stack.mapping_ = p;
  stack.mapping_size_ = total;
  stack.bottom_ = reinterpret_cast<uintptr_t>(p) + page;
  stack.size_ = size;
  return stack;
}

FiberStack::FiberStack(FiberStack&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)),
      mapping_size_(std::exchange(other.mapping_size_, 0)),
      bottom_(std::exchange(other.bottom_, 0)),
      size_(std::exchange(other.size_, 0)) {}

FiberStack& FiberStack::operator=(FiberStack&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_size_ = std::exchange(other.mapping_size_, 0);
    bottom_ = std::exchange(other.bottom_, 0);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

FiberStack::~FiberStack() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

FiberStackPool::FiberStackPool(size_t stack_size, size_t max_cached)
    : stack_size_(stack_size), max_cached_(max_cached) {}

absl::StatusOr<FiberStack> FiberStackPool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!free_.empty()) {
      FiberStack s = std::move(free_.back());
      free_.pop_back();
      return s;
    }
  }
  absl::StatusOr<FiberStack> s = FiberStack::Create(stack_size_);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++created_;
  }
  return s;
}

void FiberStackPool::Release(FiberStack stack) {
  if (!stack.valid()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < max_cached_) {
      free_.push_back(std::move(stack));
      return;
    }
  }
  // Pool full: `stack` is unmapped when it goes out of scope, outside the
  // lock.
}

size_t FiberStackPool::cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return free_.size();
}

size_t FiberStackPool::created() const {
  std::lock_guard<std::mutex> lock(mu_);
  return created_;
}

}  // namespace kiln::runtime
