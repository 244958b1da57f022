#include "runtime/abi/trap_code.h"

#include "gtest/gtest.h"

namespace kiln::abi {
namespace {

TEST(TrapCodeTest, SpecMessages) {
  EXPECT_EQ(TrapMessage(TrapCode::kStackOverflow), "call stack exhausted");
  EXPECT_EQ(TrapMessage(TrapCode::kMemoryOutOfBounds),
            "out of bounds memory access");
  EXPECT_EQ(TrapMessage(TrapCode::kTableOutOfBounds),
            "out of bounds table access");
  EXPECT_EQ(TrapMessage(TrapCode::kIndirectCallOutOfBounds),
            "undefined element");
  EXPECT_EQ(TrapMessage(TrapCode::kIndirectCallToNull),
            "uninitialized element");
  EXPECT_EQ(TrapMessage(TrapCode::kBadSignature),
            "indirect call type mismatch");
  EXPECT_EQ(TrapMessage(TrapCode::kIntegerOverflow), "integer overflow");
  EXPECT_EQ(TrapMessage(TrapCode::kIntegerDivisionByZero),
            "integer divide by zero");
  EXPECT_EQ(TrapMessage(TrapCode::kBadConversionToInteger),
            "invalid conversion to integer");
  EXPECT_EQ(TrapMessage(TrapCode::kUnreachableCodeReached), "unreachable");
}

TEST(TrapCodeTest, NamesAndRoundTrip) {
  EXPECT_EQ(TrapCodeName(TrapCode::kIntegerDivisionByZero),
            "IntegerDivisionByZero");
  for (int i = 0; i < kNumTrapCodes; ++i) {
    auto code = TrapCodeFromInt(i);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(static_cast<int>(*code), i);
    EXPECT_NE(TrapMessage(*code), "unknown trap");
  }
  EXPECT_FALSE(TrapCodeFromInt(-1).has_value());
  EXPECT_FALSE(TrapCodeFromInt(kNumTrapCodes).has_value());
  EXPECT_EQ(TrapMessage(static_cast<TrapCode>(200)), "unknown trap");
}

}  // namespace
}  // namespace kiln::abi
