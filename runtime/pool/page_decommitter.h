// PageDecommitter: gives ranges of pages back to the kernel
// (MADV_DONTNEED: anonymous pages read as zero again, private file pages
// -- a memory image -- as the file), a whole batch of ranges per
// process_madvise call, and one batch at a time in the process.
//
// One at a time: two threads zapping pages of one process at once make the
// kernel flush the whole TLB of every CPU the process runs on, by IPI, at
// the end of each call (tlb_finish_mmu: "parallel PTE batching threads");
// on 2 threads that was the largest cost that grew with the second thread.
// Every pool of slots (runtime/pool/slot_stacks.h) of one PoolingAllocator
// shares one decommitter, so their batches never overlap either.
#ifndef KILN_RUNTIME_POOL_PAGE_DECOMMITTER_H_
#define KILN_RUNTIME_POOL_PAGE_DECOMMITTER_H_

#include <atomic>
#include <cstddef>

#include <sys/uio.h>

#include "absl/synchronization/mutex.h"

namespace kiln::runtime {

class PageDecommitter {
 public:
  PageDecommitter();
  ~PageDecommitter();
  PageDecommitter(const PageDecommitter&) = delete;
  PageDecommitter& operator=(const PageDecommitter&) = delete;

  // Gives back ranges[0..n). Call with mu() held.
  void Decommit(const iovec* ranges, size_t n);
  // Held by whoever gives a batch back.
  absl::Mutex& mu() { return mu_; }

 private:
  int pidfd_ = -1;  // for process_madvise on ourselves; -1: plain madvise
  std::atomic<bool> use_process_madvise_{true};
  absl::Mutex mu_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_POOL_PAGE_DECOMMITTER_H_
