#include "runtime/pool/pooling_allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::runtime {
namespace {

// Where the pool constructs a LinearMemory (an instance block does it in
// the slot; here, the test's own storage).
struct MemoryStorage {
  alignas(LinearMemory) unsigned char bytes[sizeof(LinearMemory)];
};
struct DestroyInPlace {
  void operator()(LinearMemory* m) const { m->~LinearMemory(); }
};
using InPlaceMemory = std::unique_ptr<LinearMemory, DestroyInPlace>;

PoolingConfig SmallConfig(uint32_t n) {
  PoolingConfig c;
  c.total_instances = n;
  c.max_memory_size = 4 * LinearMemory::kWasmPageSize;
  c.max_table_elements = 2048;  // four pages of slots
  c.max_instance_size = 64 * 1024;
  return c;
}

TEST(PoolingAllocatorTest, RejectsBadConfigs) {
  PoolingConfig c = SmallConfig(0);
  EXPECT_FALSE(PoolingAllocator::Create(c).ok());
  c = SmallConfig(1);
  c.max_memory_size = LinearMemory::kReservationBytes + 1;
  EXPECT_FALSE(PoolingAllocator::Create(c).ok());
  c = SmallConfig(1);
  c.max_instance_size = 100;
  EXPECT_FALSE(PoolingAllocator::Create(c).ok());
}

TEST(PoolingAllocatorTest, SlotsRunOutAndComeBack) {
  auto pool = *PoolingAllocator::Create(SmallConfig(3));
  std::set<uint32_t> got;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<uint32_t> s = pool->AcquireSlot();
    ASSERT_TRUE(s.ok());
    got.insert(*s);
  }
  EXPECT_EQ(got.size(), 3u);
  absl::StatusOr<uint32_t> none = pool->AcquireSlot();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().message(),
            "pooling allocator: all 3 instance slots are in use");
  pool->ReleaseSlot(1);
  absl::StatusOr<uint32_t> again = pool->AcquireSlot();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 1u);
}

TEST(PoolingAllocatorTest, CheckFitsNamesTheLimit) {
  auto pool = *PoolingAllocator::Create(SmallConfig(1));
  EXPECT_TRUE(pool->CheckFits(1, 1, 4096).ok());
  EXPECT_FALSE(pool->CheckFits(2, 1, 4096).ok());
  EXPECT_FALSE(pool->CheckFits(1, 2, 4096).ok());
  EXPECT_FALSE(pool->CheckFits(1, 1, 65 * 1024).ok());
  EXPECT_TRUE(pool->CheckMemoryFits(0, 4).ok());
  EXPECT_FALSE(pool->CheckMemoryFits(0, 5).ok());
  EXPECT_TRUE(pool->CheckTableFits(0, 2048).ok());
  EXPECT_FALSE(pool->CheckTableFits(0, 2049).ok());
}

// Everything a slot's user wrote is zero for the next user, for each
// decommit batch size (given back at once, batched, drained on demand).
class PoolingResetTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(PoolingResetTest, ReleasedSlotsComeBackZeroed) {
  PoolingConfig c = SmallConfig(2);
  c.decommit_batch_size = GetParam();
  auto pool = *PoolingAllocator::Create(c);
  for (int round = 0; round < 6; ++round) {
    const uint32_t slot = *pool->AcquireSlot();
    uint8_t* block = pool->instance_block(slot);
    for (uint64_t i = 0; i < 64 * 1024; i += 512) ASSERT_EQ(block[i], 0) << i;
    uintptr_t* table = pool->table_storage(slot, 0);
    for (int i = 0; i < 2048; i += 16) ASSERT_EQ(table[i], 0u) << i;
    MemoryStorage storage;
    absl::StatusOr<LinearMemory*> acquired = pool->AcquireMemory(
        &storage, slot, 0, 1, std::nullopt, nullptr, 0);
    ASSERT_TRUE(acquired.ok()) << acquired.status();
    InPlaceMemory memory(*acquired);
    EXPECT_EQ(memory->size_pages(), 1u);
    for (uint64_t i = 0; i < 65536; i += 4096) ASSERT_EQ(memory->base()[i], 0);
    // Dirty everything, grow, record, release.
    std::memset(block, 0xab, 64 * 1024);
    std::fill_n(table, 2048, uintptr_t{7});
    ASSERT_EQ(memory->Grow(2), 1);
    std::memset(memory->base(), 0xcd, 3 * 65536);
    EXPECT_EQ(memory->Grow(2), -1);  // 4-page slot
    pool->RecordMemorySize(slot, 0, memory->size_bytes());
    memory.reset();
    pool->RecordTableSize(slot, 0, 2048);
    pool->RecordInstanceBytes(slot, 64 * 1024, 4096, 60 * 1024);
    pool->ReleaseSlot(slot);
  }
}

INSTANTIATE_TEST_SUITE_P(BatchSizes, PoolingResetTest,
                         ::testing::Values(1, 2, 64));

TEST(PoolingAllocatorTest, ShrunkMemoryIsInaccessibleAgain) {
  auto pool = *PoolingAllocator::Create(SmallConfig(1));
  uint32_t slot = *pool->AcquireSlot();
  MemoryStorage storage;
  InPlaceMemory memory(
      *pool->AcquireMemory(&storage, slot, 0, 3, std::nullopt, nullptr, 0));
  pool->RecordMemorySize(slot, 0, memory->size_bytes());
  memory.reset();
  pool->ReleaseSlot(slot);
  slot = *pool->AcquireSlot();
  memory.reset(
      *pool->AcquireMemory(&storage, slot, 0, 1, std::nullopt, nullptr, 0));
  // Page 1 is PROT_NONE again: the kernel cannot read it (EFAULT), while
  // page 0 is readable once committed (lazy commit, as Memory::data does).
  ASSERT_TRUE(memory->CommitAll());
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], memory->base(), 1), 1);
  EXPECT_EQ(write(fds[1], memory->base() + 65536, 1), -1);
  EXPECT_EQ(errno, EFAULT);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(memory->size_bytes(), 65536u);
  EXPECT_EQ(memory->definition().length, 65536u);
  pool->RecordMemorySize(slot, 0, memory->size_bytes());
  memory.reset();
  pool->ReleaseSlot(slot);
}

// Lazy commit: past keep_resident, nothing is accessible until touched (the
// kernel cannot read it); a touch from ordinary code is committed by the
// fault handler, and the next instance of the slot reads zeros there (the
// page stays committed and is reset like a kept one past keep_resident).
TEST(PoolingAllocatorTest, PagesPastKeepResidentCommitOnFirstTouch) {
  PoolingConfig config = SmallConfig(1);
  config.linear_memory_keep_resident = 4096;
  auto pool = *PoolingAllocator::Create(config);
  for (int round = 0; round < 2; ++round) {
    uint32_t slot = *pool->AcquireSlot();
    MemoryStorage storage;
    InPlaceMemory memory(
        *pool->AcquireMemory(&storage, slot, 0, 2, std::nullopt, nullptr, 0));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    EXPECT_EQ(write(fds[1], memory->base(), 1), 1);  // kept resident
    if (round == 0) {
      EXPECT_EQ(write(fds[1], memory->base() + 70000, 1), -1);
      EXPECT_EQ(errno, EFAULT);
    } else {
      // A slot's committed prefix only grows; it is reset on release.
      EXPECT_EQ(write(fds[1], memory->base() + 70000, 1), 1);
    }
    close(fds[0]);
    close(fds[1]);
    EXPECT_EQ(memory->base()[70000], 0) << "round " << round;
    memory->base()[70000] = 9;  // committed by the handler
    EXPECT_EQ(memory->base()[70000], 9);
    pool->RecordMemorySize(slot, 0, memory->size_bytes());
    memory.reset();
    pool->ReleaseSlot(slot);
  }
}

// A batch larger than a CPU's share of the slots is capped: releases never
// leave more than half of the pool waiting for its pages to go back, so an
// acquire finds a free slot without stealing or draining.
TEST(PoolingAllocatorTest, BatchesNeverHoldHalfThePool) {
  PoolingConfig c = SmallConfig(16);
  c.decommit_batch_size = 1000;
  auto pool = *PoolingAllocator::Create(c);
  EXPECT_GE(pool->drain_threshold(), 1u);
  // (With a shard per slot the threshold is 1: every release drains.)
  EXPECT_LE(pool->drain_threshold() * pool->num_shards_for_testing(),
            std::max(8u, pool->num_shards_for_testing()));
  for (int i = 0; i < 100; ++i) {
    const uint32_t slot = *pool->AcquireSlot();
    MemoryStorage storage;
    InPlaceMemory memory(*pool->AcquireMemory(&storage, slot, 0, 1,
                                              std::nullopt, nullptr, 0));
    memory->base()[0] = 1;  // a page that must go back
    pool->RecordMemorySize(slot, 0, memory->size_bytes());
    memory.reset();
    pool->ReleaseSlot(slot);
    ASSERT_GE(pool->free_slots_for_testing(), 8u) << "after release " << i;
  }
}

TEST(PoolingAllocatorTest, TwoThreadsNeverShareASlot) {
  PoolingConfig c = SmallConfig(4);
  c.decommit_batch_size = 3;
  auto pool = *PoolingAllocator::Create(c);
  std::atomic<int> owners[4] = {};
  std::atomic<int> errors{0};
  auto work = [&] {
    for (int i = 0; i < 20000; ++i) {
      absl::StatusOr<uint32_t> slot = pool->AcquireSlot();
      if (!slot.ok()) {
        ++errors;
        continue;
      }
      if (owners[*slot].fetch_add(1) != 0) ++errors;
      pool->instance_block(*slot)[0] = 1;
      owners[*slot].fetch_sub(1);
      pool->RecordInstanceBytes(*slot, 1);
      pool->ReleaseSlot(*slot);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
}

// Releases on two threads whose pages go back with madvise: drains run one
// at a time (a release that finds one running leaves its batch for later),
// and every slot still comes back zeroed, also when all of them are dirty.
TEST(PoolingAllocatorTest, ConcurrentReleasesDrainOneBatchAtATime) {
  PoolingConfig c = SmallConfig(8);
  c.decommit_batch_size = 2;
  auto pool = *PoolingAllocator::Create(c);
  std::atomic<int> errors{0};
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      absl::StatusOr<uint32_t> slot = pool->AcquireSlot();
      if (!slot.ok()) {
        ++errors;
        continue;
      }
      MemoryStorage storage;
      absl::StatusOr<LinearMemory*> m = pool->AcquireMemory(
          &storage, *slot, 0, 2, std::nullopt, nullptr, 0);
      if (!m.ok()) {
        ++errors;
        pool->ReleaseSlot(*slot);
        continue;
      }
      InPlaceMemory memory(*m);
      for (uint64_t k = 0; k < 2 * 65536; k += 4096) {
        if (memory->base()[k] != 0) ++errors;
        memory->base()[k] = 0x5a;
      }
      pool->RecordMemorySize(*slot, 0, memory->size_bytes());
      memory.reset();
      pool->ReleaseSlot(*slot);
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  // Every slot at once: the acquires drain whatever batches were left.
  std::vector<uint32_t> slots;
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<uint32_t> slot = pool->AcquireSlot();
    ASSERT_TRUE(slot.ok()) << slot.status();
    MemoryStorage storage;
    InPlaceMemory memory(
        *pool->AcquireMemory(&storage, *slot, 0, 2, std::nullopt, nullptr, 0));
    for (uint64_t k = 0; k < 2 * 65536; k += 4096) {
      ASSERT_EQ(memory->base()[k], 0) << "slot " << *slot << " byte " << k;
    }
    pool->RecordMemorySize(*slot, 0, memory->size_bytes());
    slots.push_back(*slot);
  }
  EXPECT_FALSE(pool->AcquireSlot().ok());
  for (uint32_t slot : slots) pool->ReleaseSlot(slot);
}

// A batch of more than the 2 GiB one process_madvise call takes (8 slots of
// 512 MiB memories): given back in chunks, every slot comes back zeroed.
TEST(PoolingAllocatorTest, BatchesLargerThanOneCallComeBackZeroed) {
  constexpr uint64_t kPages = 8192;  // 512 MiB
  constexpr uint64_t kBytes = kPages * LinearMemory::kWasmPageSize;
  PoolingConfig c = SmallConfig(8);
  c.max_memory_size = kBytes;
  c.decommit_batch_size = 8;
  auto pool = *PoolingAllocator::Create(c);
  for (int round = 0; round < 2; ++round) {
    std::vector<uint32_t> slots;
    for (int i = 0; i < 8; ++i) {
      const uint32_t slot = *pool->AcquireSlot();
      MemoryStorage storage;
      InPlaceMemory memory(*pool->AcquireMemory(&storage, slot, 0, kPages,
                                                std::nullopt, nullptr, 0));
      for (uint64_t at : {uint64_t{0}, kBytes / 2, kBytes - 1}) {
        ASSERT_EQ(memory->base()[at], 0) << "slot " << slot << " at " << at;
        memory->base()[at] = 0x77;
      }
      pool->RecordMemorySize(slot, 0, memory->size_bytes());
      slots.push_back(slot);
    }
    for (uint32_t slot : slots) pool->ReleaseSlot(slot);  // 4 GiB batch
  }
}

}  // namespace
}  // namespace kiln::runtime
