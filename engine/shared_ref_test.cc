#include "engine/shared_ref.h"

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::internal {
namespace {

// Counts its destructions.
struct Tracked {
  explicit Tracked(std::atomic<int>* d, int v = 0) : destroyed(d), value(v) {}
  ~Tracked() { destroyed->fetch_add(1); }
  std::atomic<int>* destroyed;
  int value;
};

TEST(SharedRefTest, StrongCopiesDestroyOnceAtTheLast) {
  std::atomic<int> destroyed{0};
  {
    SharedRef<Tracked> a = SharedRef<Tracked>::Make(&destroyed, 7);
    EXPECT_FALSE(a.is_local());
    EXPECT_EQ(a->value, 7);
    SharedRef<Tracked> b = a;
    a.Reset();
    EXPECT_FALSE(a);
    EXPECT_EQ(destroyed.load(), 0);
    EXPECT_EQ((*b).value, 7);
  }
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(SharedRefTest, LocalOutlivesTheStrongOnes) {
  std::atomic<int> destroyed{0};
  SharedRef<Tracked> local;
  {
    SharedRef<Tracked> strong = SharedRef<Tracked>::Make(&destroyed);
    local = strong.Local();
    EXPECT_TRUE(local.is_local());
    EXPECT_EQ(local.get(), strong.get());
    EXPECT_FALSE(strong.counts_for_testing()->killed_for_testing());
  }
  // The last strong reference folded the shards; the local one keeps it.
  EXPECT_TRUE(local.counts_for_testing()->killed_for_testing());
  EXPECT_EQ(destroyed.load(), 0);
  // Locals taken and dropped after the fold count in the shared count.
  SharedRef<Tracked> second = local.Local();
  local.Reset();
  EXPECT_EQ(destroyed.load(), 0);
  second.Reset();
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(SharedRefTest, StrongMadeFromALocalAfterTheFold) {
  std::atomic<int> destroyed{0};
  SharedRef<Tracked> local = SharedRef<Tracked>::Make(&destroyed).Local();
  SharedRef<Tracked> strong = local;  // a copy is strong
  EXPECT_FALSE(strong.is_local());
  local.Reset();
  EXPECT_EQ(destroyed.load(), 0);
  strong.Reset();  // the second time the strong count reaches zero
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(SharedRefTest, MoveKeepsTheKind) {
  std::atomic<int> destroyed{0};
  SharedRef<Tracked> strong = SharedRef<Tracked>::Make(&destroyed);
  SharedRef<Tracked> local = strong.Local();
  SharedRef<Tracked> moved = std::move(local);
  EXPECT_TRUE(moved.is_local());
  EXPECT_FALSE(local);  // NOLINT(bugprone-use-after-move): moved from
  strong.Reset();
  moved.Reset();
  EXPECT_EQ(destroyed.load(), 1);
}

TEST(SharedRefTest, LocalTakenOnOneThreadDroppedOnAnother) {
  std::atomic<int> destroyed{0};
  SharedRef<Tracked> strong = SharedRef<Tracked>::Make(&destroyed);
  std::vector<SharedRef<Tracked>> locals;
  for (int i = 0; i < 100; ++i) locals.push_back(strong.Local());
  std::thread([&locals] { locals.clear(); }).join();
  EXPECT_EQ(destroyed.load(), 0);
  strong.Reset();
  EXPECT_EQ(destroyed.load(), 1);
}

// Threads take and drop local references (some crossing threads) while
// the last strong reference goes: destroyed exactly once, after all.
TEST(SharedRefTest, ConcurrentLocalsAcrossTheFold) {
  for (int round = 0; round < 20; ++round) {
    std::atomic<int> destroyed{0};
    SharedRef<Tracked> strong = SharedRef<Tracked>::Make(&destroyed);
    constexpr int kThreads = 4;
    std::vector<SharedRef<Tracked>> seeds;
    for (int t = 0; t < kThreads; ++t) seeds.push_back(strong.Local());
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        SharedRef<Tracked> mine = std::move(seeds[t]);
        while (!go.load()) {
        }
        for (int i = 0; i < 2000; ++i) {
          SharedRef<Tracked> a = mine.Local();
          SharedRef<Tracked> b = a.Local();
          a.Reset();
          if (i % 64 == 0) {
            SharedRef<Tracked> s = b;  // strong now and then
          }
          ASSERT_EQ(destroyed.load(), 0);
        }
      });
    }
    go.store(true);
    strong.Reset();
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(destroyed.load(), 1);
  }
}

}  // namespace
}  // namespace kiln::internal
