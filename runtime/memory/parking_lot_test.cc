#include "runtime/memory/parking_lot.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/memory/linear_memory.h"

namespace kiln::runtime {
namespace {

using WaitResult = ParkingLot::WaitResult;

TEST(ParkingLotTest, NotEqualReturnsAtOnce) {
  ParkingLot lot;
  EXPECT_EQ(lot.Park(1, [] { return false; }, std::nullopt),
            WaitResult::kNotEqual);
  EXPECT_EQ(lot.NumParked(1), 0u);
}

TEST(ParkingLotTest, TimesOut) {
  ParkingLot lot;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(lot.Park(1, [] { return true; }, 20'000'000), WaitResult::kTimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(20));
  EXPECT_EQ(lot.NumParked(1), 0u);
  // Timeout 0: checks and returns.
  EXPECT_EQ(lot.Park(1, [] { return true; }, 0), WaitResult::kTimedOut);
}

TEST(ParkingLotTest, NotifyWithoutWaitersWakesNobody) {
  ParkingLot lot;
  EXPECT_EQ(lot.Notify(7, 10), 0u);
}

// Parks `n` threads at key 1, then wakes them in two batches: the counts
// returned are the threads woken, never more than asked for.
TEST(ParkingLotTest, WakeCounts) {
  ParkingLot lot;
  constexpr int kThreads = 5;
  std::atomic<int> woken{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      if (lot.Park(1, [] { return true; }, std::nullopt) == WaitResult::kOk) {
        woken.fetch_add(1);
      }
    });
  }
  while (lot.NumParked(1) != kThreads) std::this_thread::yield();
  EXPECT_EQ(lot.Notify(2, 10), 0u);  // another address
  EXPECT_EQ(lot.Notify(1, 2), 2u);
  EXPECT_EQ(lot.NumParked(1), 3u);
  EXPECT_EQ(lot.Notify(1, 100), 3u);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(woken.load(), kThreads);
  EXPECT_EQ(lot.Notify(1, 1), 0u);
}

TEST(SharedLinearMemoryTest, GrowFromManyThreadsIsAtomic) {
  LinearMemory::Options options;
  options.shared = true;
  absl::StatusOr<std::unique_ptr<LinearMemory>> m =
      LinearMemory::Create(1, 1001, options);
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE((*m)->shared());
  ASSERT_NE((*m)->parking_lot(), nullptr);
  uint8_t* base = (*m)->base();
  std::vector<std::thread> threads;
  std::vector<std::vector<int64_t>> old(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 250; ++k) old[t].push_back((*m)->Grow(1));
    });
  }
  for (std::thread& t : threads) t.join();
  // Every Grow saw a different old size: 1 .. 1000, each once.
  std::vector<bool> seen(1001, false);
  for (const auto& v : old) {
    for (int64_t o : v) {
      ASSERT_GE(o, 1);
      ASSERT_LE(o, 1000);
      EXPECT_FALSE(seen[o]) << o;
      seen[o] = true;
    }
  }
  EXPECT_EQ((*m)->size_pages(), 1001u);
  EXPECT_EQ((*m)->definition().length, 1001u * LinearMemory::kWasmPageSize);
  EXPECT_EQ((*m)->base(), base);  // never moved
  EXPECT_EQ((*m)->Grow(1), -1);   // at the maximum
}

TEST(SharedLinearMemoryTest, UnsharedHasNoParkingLot) {
  absl::StatusOr<std::unique_ptr<LinearMemory>> m = LinearMemory::Create(1, 2);
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE((*m)->shared());
  EXPECT_EQ((*m)->parking_lot(), nullptr);
}

}  // namespace
}  // namespace kiln::runtime
