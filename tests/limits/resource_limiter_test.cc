// runtime::ResourceLimiterHook on its own (no engine): what GrowMemory /
// GrowTable / AdmitMemory / AdmitTable ask and do with each answer.
#include "runtime/vm/resource_limiter.h"

#include <optional>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kiln::runtime {
namespace {

using ::testing::HasSubstr;

class FakeLimiter : public ResourceLimiterHook {
 public:
  absl::StatusOr<bool> MemoryGrowing(uint64_t current, uint64_t desired,
                                     std::optional<uint64_t> maximum) override {
    asked.push_back({current, desired, maximum.value_or(0)});
    if (error) return absl::ResourceExhaustedError("limiter says no");
    return desired <= limit;
  }
  absl::Status MemoryGrowFailed(uint64_t, uint64_t) override {
    ++failed;
    return failed_error ? absl::InternalError("grow failed") : absl::OkStatus();
  }
  absl::StatusOr<bool> TableGrowing(uint64_t current, uint64_t desired,
                                    std::optional<uint64_t> maximum) override {
    asked.push_back({current, desired, maximum.value_or(0)});
    if (error) return absl::ResourceExhaustedError("limiter says no");
    return desired <= limit;
  }
  absl::Status TableGrowFailed(uint64_t, uint64_t) override {
    ++failed;
    return failed_error ? absl::InternalError("grow failed") : absl::OkStatus();
  }
  void OnTrap(const absl::Status&) override { ++traps; }
  std::string MemoryLimitDescription() const override { return "fake memory"; }
  std::string TableLimitDescription() const override { return "fake table"; }

  struct Ask {
    uint64_t current, desired, maximum;
    bool operator==(const Ask&) const = default;
  };
  std::vector<Ask> asked;
  uint64_t limit = 0;
  bool error = false;
  bool failed_error = false;
  int failed = 0;
  int traps = 0;
};

constexpr uint64_t kPage = LinearMemory::kWasmPageSize;

TEST(ResourceLimiterTest, GrowMemoryAsksAndObeys) {
  auto memory = LinearMemory::Create(1, 4);
  ASSERT_TRUE(memory.ok());
  FakeLimiter limiter;
  limiter.limit = 2 * kPage;
  LimitedGrow g = GrowMemory(**memory, 1, &limiter);
  EXPECT_EQ(g.old, 1);
  EXPECT_TRUE(g.error.ok());
  ASSERT_EQ(limiter.asked.size(), 1u);
  EXPECT_EQ(limiter.asked[0], (FakeLimiter::Ask{kPage, 2 * kPage, 4 * kPage}));
  g = GrowMemory(**memory, 1, &limiter);  // refused: nothing committed
  EXPECT_EQ(g.old, -1);
  EXPECT_TRUE(g.error.ok());
  EXPECT_EQ((*memory)->size_pages(), 2u);
  EXPECT_EQ(limiter.failed, 0);
  g = GrowMemory(**memory, 0, &limiter);  // 0: not asked
  EXPECT_EQ(g.old, 2);
  EXPECT_EQ(limiter.asked.size(), 2u);
  // Past the declared maximum: not asked, told it failed.
  limiter.limit = 100 * kPage;
  g = GrowMemory(**memory, 3, &limiter);
  EXPECT_EQ(g.old, -1);
  EXPECT_EQ(limiter.asked.size(), 2u);
  EXPECT_EQ(limiter.failed, 1);
  limiter.failed_error = true;
  g = GrowMemory(**memory, 3, &limiter);
  EXPECT_EQ(g.old, -1);
  EXPECT_THAT(g.error.message(), HasSubstr("grow failed"));
  // The limiter's own error.
  limiter.error = true;
  g = GrowMemory(**memory, 1, &limiter);
  EXPECT_EQ(g.old, -1);
  EXPECT_THAT(g.error.message(), HasSubstr("limiter says no"));
  EXPECT_EQ((*memory)->size_pages(), 2u);
  // No limiter: plain grow.
  EXPECT_EQ(GrowMemory(**memory, 2, nullptr).old, 2);
}

TEST(ResourceLimiterTest, GrowTableAsksAndObeys) {
  auto table = Table::Create(wasm::ValType::kFuncRef, 1, 10, nullptr, true);
  ASSERT_TRUE(table.ok());
  FakeLimiter limiter;
  limiter.limit = 3;
  EXPECT_EQ(GrowTable(**table, 2, nullptr, &limiter).old, 1);
  EXPECT_EQ(GrowTable(**table, 1, nullptr, &limiter).old, -1);
  EXPECT_EQ((*table)->size(), 3u);
  EXPECT_EQ(limiter.asked.back(), (FakeLimiter::Ask{3, 4, 10}));
  limiter.limit = 100;
  EXPECT_EQ(GrowTable(**table, 8, nullptr, &limiter).old, -1);  // past max 10
  EXPECT_EQ(limiter.failed, 1);
}

TEST(ResourceLimiterTest, AdmitNamesThePlaceAndTheLimit) {
  FakeLimiter limiter;
  limiter.limit = kPage;
  EXPECT_TRUE(AdmitMemory(&limiter, "Instance::Create: memory", 0, 1, 2).ok());
  EXPECT_EQ(limiter.asked.back(), (FakeLimiter::Ask{0, kPage, 2 * kPage}));
  absl::Status s =
      AdmitMemory(&limiter, "Instance::Create: memory", 3, 2, std::nullopt);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "Instance::Create: memory 3: initial size of 2 pages (131072 "
            "bytes) exceeds the resource limit (fake memory)");
  limiter.limit = 5;
  s = AdmitTable(&limiter, "Table::New", 0, 6, std::nullopt);
  EXPECT_EQ(s.message(),
            "Table::New 0: initial size of 6 elements exceeds the resource "
            "limit (fake table)");
  limiter.error = true;
  s = AdmitTable(&limiter, "Instance::Create: table", 1, 1, std::nullopt);
  EXPECT_EQ(s.message(), "Instance::Create: table 1: limiter says no");
  EXPECT_TRUE(AdmitMemory(nullptr, "x", 0, 65536, std::nullopt).ok());
  EXPECT_EQ(limiter.traps, 0);  // only a grow from wasm traps
}

}  // namespace
}  // namespace kiln::runtime
