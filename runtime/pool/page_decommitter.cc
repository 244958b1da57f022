#include "runtime/pool/page_decommitter.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace kiln::runtime {

PageDecommitter::PageDecommitter()
    // process_madvise on ourselves (Linux 6.13+ accepts MADV_DONTNEED): one
    // call gives back a whole batch. Without it, madvise per range.
    : pidfd_(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0))) {}

PageDecommitter::~PageDecommitter() {
  if (pidfd_ >= 0) close(pidfd_);
}

void PageDecommitter::Decommit(const iovec* ranges, size_t n) {
  if (n == 0) return;
  if (pidfd_ >= 0 && use_process_madvise_.load(std::memory_order_relaxed)) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) total += ranges[i].iov_len;
    const long done =
        syscall(SYS_process_madvise, pidfd_, ranges, n, MADV_DONTNEED, 0);
    if (done >= 0 && static_cast<uint64_t>(done) == total) return;
    if (done < 0 && (errno == EINVAL || errno == ENOSYS || errno == EPERM)) {
      // A kernel before 6.13 (no MADV_DONTNEED through process_madvise) or
      // a sandbox: stop asking.
      use_process_madvise_.store(false, std::memory_order_relaxed);
    }
    // Partial: the ranges are done in order, so skip the ones done in
    // full and do the rest by themselves (madvise is idempotent).
    if (done > 0) {
      uint64_t skip = static_cast<uint64_t>(done);
      while (n > 0 && ranges->iov_len <= skip) {
        skip -= ranges->iov_len;
        ++ranges;
        --n;
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    madvise(ranges[i].iov_base, ranges[i].iov_len, MADV_DONTNEED);
  }
}

}  // namespace kiln::runtime
