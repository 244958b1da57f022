#include "runtime/memory/linear_memory.h"

#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::runtime {
namespace {

constexpr uint64_t kPage = LinearMemory::kWasmPageSize;

TEST(LinearMemoryTest, CreateCommitsMinimumZeroed) {
  auto memory = LinearMemory::Create(2, 10);
  ASSERT_TRUE(memory.ok()) << memory.status();
  LinearMemory& m = **memory;
  EXPECT_EQ(m.size_pages(), 2u);
  EXPECT_EQ(m.size_bytes(), 2 * kPage);
  EXPECT_EQ(m.definition().base, m.base());
  EXPECT_EQ(m.definition().length, 2 * kPage);
  EXPECT_EQ(m.base()[0], 0);
  EXPECT_EQ(m.base()[2 * kPage - 1], 0);
  m.base()[2 * kPage - 1] = 42;
  EXPECT_EQ(m.base()[2 * kPage - 1], 42);
  EXPECT_EQ(m.guard_bytes(), LinearMemory::kGuardBytes);
  EXPECT_TRUE(m.ContainsAddress(reinterpret_cast<uintptr_t>(m.base()) +
                                (uint64_t{5} << 30)));
  EXPECT_FALSE(m.ContainsAddress(reinterpret_cast<uintptr_t>(m.base()) +
                                 (uint64_t{6} << 30)));
}

TEST(LinearMemoryTest, GrowReturnsOldSizeAndRespectsMax) {
  auto memory = LinearMemory::Create(1, 3);
  ASSERT_TRUE(memory.ok());
  LinearMemory& m = **memory;
  abi::VMMemoryDefinition inline_def{};
  m.BindDefinition(&inline_def);
  EXPECT_EQ(inline_def.length, kPage);
  EXPECT_EQ(m.Grow(0), 1);
  EXPECT_EQ(m.Grow(1), 1);
  EXPECT_EQ(m.size_pages(), 2u);
  EXPECT_EQ(inline_def.length, 2 * kPage);
  EXPECT_EQ(inline_def.base, m.base());
  m.base()[2 * kPage - 1] = 7;  // newly committed page is writable
  EXPECT_EQ(m.Grow(2), -1);     // would be 4 > max 3
  EXPECT_EQ(m.size_pages(), 2u);
  EXPECT_EQ(m.Grow(1), 2);
  EXPECT_EQ(m.Grow(1), -1);
  EXPECT_EQ(m.size_bytes(), 3 * kPage);
  EXPECT_EQ(inline_def.length, 3 * kPage);
}

TEST(LinearMemoryTest, UnboundedGrowsTo4GiBLimit) {
  auto memory = LinearMemory::Create(0);
  ASSERT_TRUE(memory.ok());
  LinearMemory& m = **memory;
  EXPECT_EQ(m.size_bytes(), 0u);
  EXPECT_EQ(m.limit_pages(), LinearMemory::kMaxPages);
  EXPECT_EQ(m.Grow(65537), -1);
  EXPECT_EQ(m.Grow(uint64_t{1} << 40), -1);  // no overflow
  EXPECT_EQ(m.Grow(16), 0);
  EXPECT_EQ(m.size_pages(), 16u);
}

TEST(LinearMemoryTest, SmallReservationCapsGrowth) {
  LinearMemory::Options options;
  options.reservation_bytes = 4 * kPage;
  options.guard_bytes = kPage;
  auto memory = LinearMemory::Create(1, std::nullopt, options);
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ((*memory)->limit_pages(), 4u);
  EXPECT_EQ((*memory)->Grow(3), 1);
  EXPECT_EQ((*memory)->Grow(1), -1);
}

TEST(LinearMemoryTest, InvalidLimitsAreErrors) {
  EXPECT_FALSE(LinearMemory::Create(5, 4).ok());
  EXPECT_FALSE(LinearMemory::Create(65537).ok());
  EXPECT_FALSE(LinearMemory::Create(0, 65537).ok());
  LinearMemory::Options odd;
  odd.reservation_bytes = 1000;
  auto bad = LinearMemory::Create(0, std::nullopt, odd);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("LinearMemory::Create"),
            std::string::npos);
}

TEST(LinearMemoryTest, ManyReservationsCanCoexist) {
  std::vector<std::unique_ptr<LinearMemory>> memories;
  for (int i = 0; i < 16; ++i) {
    auto m = LinearMemory::Create(1);
    ASSERT_TRUE(m.ok()) << m.status();
    memories.push_back(*std::move(m));
  }
}

}  // namespace
}  // namespace kiln::runtime
