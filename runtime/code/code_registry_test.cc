#include "runtime/code/code_registry.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace kiln::runtime {
namespace {

using abi::TrapCode;

TEST(CodeRangeTest, FunctionAndTrapLookup) {
  const FunctionRange functions[] = {{0, 16, 3}, {16, 40, 4}, {48, 64, 7}};
  const TrapSite traps[] = {{4, TrapCode::kUnreachableCodeReached},
                            {20, TrapCode::kMemoryOutOfBounds},
                            {50, TrapCode::kIntegerDivisionByZero}};
  CodeRange r{0x10000, 0x10040, nullptr, functions, traps};
  ASSERT_TRUE(r.Validate().ok());
  EXPECT_EQ(r.LookupFunction(0x10000)->func_index, 3u);
  EXPECT_EQ(r.LookupFunction(0x1000f)->func_index, 3u);
  EXPECT_EQ(r.LookupFunction(0x10010)->func_index, 4u);
  EXPECT_EQ(r.LookupFunction(0x1002c), nullptr);  // gap [40, 48)
  EXPECT_EQ(r.LookupFunction(0x1003f)->func_index, 7u);
  EXPECT_EQ(r.LookupFunction(0x10040), nullptr);
  EXPECT_EQ(r.LookupFunction(0xffff), nullptr);
  EXPECT_EQ(r.LookupTrap(0x10004), TrapCode::kUnreachableCodeReached);
  EXPECT_EQ(r.LookupTrap(0x10014), TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(r.LookupTrap(0x10032), TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(r.LookupTrap(0x10005), std::nullopt);
  EXPECT_EQ(r.LookupTrap(0x10000), std::nullopt);
}

TEST(CodeRangeTest, ValidateRejectsBadTables) {
  const FunctionRange overlapping[] = {{0, 16, 0}, {8, 20, 1}};
  EXPECT_FALSE((CodeRange{0x1000, 0x1100, nullptr, overlapping, {}})
                   .Validate()
                   .ok());
  const FunctionRange past_end[] = {{0, 0x200, 0}};
  EXPECT_FALSE(
      (CodeRange{0x1000, 0x1100, nullptr, past_end, {}}).Validate().ok());
  const TrapSite unsorted[] = {{8, TrapCode::kUnreachableCodeReached},
                               {4, TrapCode::kUnreachableCodeReached}};
  EXPECT_FALSE(
      (CodeRange{0x1000, 0x1100, nullptr, {}, unsorted}).Validate().ok());
  EXPECT_FALSE((CodeRange{0, 0, nullptr, {}, {}}).Validate().ok());
}

TEST(CodeRegistryTest, RegisterLookupUnregister) {
  CodeRegistry registry;
  CodeRange a{0x1000, 0x2000, &registry, {}, {}};
  CodeRange b{0x3000, 0x4000, nullptr, {}, {}};
  CodeRange overlaps_b{0x3fff, 0x5000, nullptr, {}, {}};
  EXPECT_EQ(registry.Lookup(0x1000), nullptr);
  ASSERT_TRUE(registry.Register(&b).ok());
  ASSERT_TRUE(registry.Register(&a).ok());
  EXPECT_FALSE(registry.Register(&overlaps_b).ok());
  EXPECT_FALSE(registry.Register(&a).ok());
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.Lookup(0x1000), &a);
  EXPECT_EQ(registry.Lookup(0x1fff), &a);
  EXPECT_EQ(registry.Lookup(0x2000), nullptr);
  EXPECT_EQ(registry.Lookup(0x3800), &b);
  EXPECT_EQ(registry.Lookup(0x4000), nullptr);
  EXPECT_EQ(registry.Lookup(0xfff), nullptr);
  EXPECT_EQ(registry.Lookup(0x1000)->owner, &registry);
  registry.Unregister(&a);
  EXPECT_EQ(registry.Lookup(0x1000), nullptr);
  EXPECT_EQ(registry.Lookup(0x3800), &b);
  registry.Unregister(&a);  // no-op
  registry.Unregister(&b);
  EXPECT_EQ(registry.size(), 0u);
  EXPECT_EQ(registry.Lookup(0x3800), nullptr);
}

TEST(CodeRegistryTest, ConcurrentLookupsDuringChurn) {
  CodeRegistry registry;
  CodeRange stable{0x100000, 0x200000, nullptr, {}, {}};
  ASSERT_TRUE(registry.Register(&stable).ok());
  std::vector<CodeRange> churn;
  for (uintptr_t i = 0; i < 32; ++i) {
    churn.push_back(CodeRange{0x300000 + i * 0x1000, 0x300800 + i * 0x1000,
                              nullptr, {}, {}});
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        if (registry.Lookup(0x150000) != &stable) bad.fetch_add(1);
        const CodeRange* r = registry.Lookup(0x300100);
        if (r != nullptr && r != &churn[0]) bad.fetch_add(1);
      }
    });
  }
  for (int round = 0; round < 200; ++round) {
    for (CodeRange& r : churn) ASSERT_TRUE(registry.Register(&r).ok());
    for (CodeRange& r : churn) registry.Unregister(&r);
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(CodeRegistryTest, ScopedRegistrationUsesGlobal) {
  CodeRange r{0x7000, 0x7100, nullptr, {}, {}};
  {
    ScopedCodeRegistration reg;
    ASSERT_TRUE(reg.Register(&r).ok());
    EXPECT_EQ(CodeRegistry::Global().Lookup(0x7010), &r);
  }
  EXPECT_EQ(CodeRegistry::Global().Lookup(0x7010), nullptr);
}

}  // namespace
}  // namespace kiln::runtime
