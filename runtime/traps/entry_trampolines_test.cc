// The entry trampolines on any ISA (entry_trampolines.h): C++ functions
// stand in for compiled wasm (they share the host calling convention), so
// this test needs no assembler and runs under qemu for AArch64
// (`bazel test --config=aarch64 //runtime/traps:entry_trampolines_test`).
#include <cstdint>
#include <optional>

#include "gtest/gtest.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/entry.h"

namespace kiln::runtime {
namespace {

using abi::TrapCode;

// More integer and float arguments than any ISA has registers for, so
// some of each go on the stack; every argument weighs differently.
int64_t MixedSum(void* a0, void* a1, int64_t i0, double f0, int64_t i1,
                 double f1, int64_t i2, double f2, int64_t i3, double f3,
                 int64_t i4, double f4, int64_t i5, double f5, int64_t i6,
                 double f6, int64_t i7, double f7, int64_t i8, double f8,
                 int64_t i9, double f9, int64_t i10, float f10) {
  const int64_t ints[] = {i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10};
  const double floats[] = {f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10};
  int64_t sum = reinterpret_cast<intptr_t>(a0) * 1000003 +
                reinterpret_cast<intptr_t>(a1) * 999983;
  for (int k = 0; k < 11; ++k) {
    sum = sum * 31 + ints[k];
    sum = sum * 37 + static_cast<int64_t>(floats[k] * 4);
  }
  return sum;
}

TEST(EntryTrampolinesTest, EnterPlacesRegisterAndStackArguments) {
  abi::VMRuntimeLimits limits;
  int64_t got = 0;
  std::optional<Trap> trap =
      CallWasm(&MixedSum, &got, &limits, reinterpret_cast<void*>(7),
               reinterpret_cast<void*>(11), int64_t{1}, 0.25, int64_t{-2}, 1.5,
               int64_t{3}, -2.75, int64_t{4}, 3.0, int64_t{-5}, 4.5, int64_t{6},
               5.25, int64_t{7}, -6.0, int64_t{8}, 7.75, int64_t{9}, 8.5,
               int64_t{-10}, 9.25, int64_t{11}, 10.5f);
  ASSERT_FALSE(trap.has_value());
  EXPECT_EQ(got,
            MixedSum(reinterpret_cast<void*>(7), reinterpret_cast<void*>(11), 1,
                     0.25, -2, 1.5, 3, -2.75, 4, 3.0, -5, 4.5, 6, 5.25, 7, -6.0,
                     8, 7.75, 9, 8.5, -10, 9.25, 11, 10.5f));
  EXPECT_EQ(limits.stack_limit, abi::kStackLimitUnset);
}

double Scale(void*, void*, double x, int64_t k) {
  return x * static_cast<double>(k);
}

TEST(EntryTrampolinesTest, EnterReturnsFloatResult) {
  double got = 0;
  ASSERT_FALSE(
      CallWasm(&Scale, &got, nullptr, nullptr, nullptr, 1.25, int64_t{-4})
          .has_value());
  EXPECT_EQ(got, -5.0);
}

int64_t RaiseIntegerOverflow(void*, void*, int64_t) {
  RaiseTrap(TrapCode::kIntegerOverflow);
}

TEST(EntryTrampolinesTest, TrapReturnsThroughLandingAndEntersAgain) {
  for (int i = 0; i < 100; ++i) {
    int64_t unused = 0;
    std::optional<Trap> trap = CallWasm(&RaiseIntegerOverflow, &unused, nullptr,
                                        nullptr, nullptr, int64_t{i});
    ASSERT_TRUE(trap.has_value());
    EXPECT_EQ(trap->code, TrapCode::kIntegerOverflow);
    EXPECT_FALSE(InWasmActivation());
  }
  int64_t got = 0;
  ASSERT_FALSE(CallWasm(&MixedSum, &got, nullptr, nullptr, nullptr, int64_t{1},
                        0.0, int64_t{0}, 0.0, int64_t{0}, 0.0, int64_t{0}, 0.0,
                        int64_t{0}, 0.0, int64_t{0}, 0.0, int64_t{0}, 0.0,
                        int64_t{0}, 0.0, int64_t{0}, 0.0, int64_t{0}, 0.0,
                        int64_t{0}, 0.0f)
                   .has_value());
  EXPECT_EQ(got, MixedSum(nullptr, nullptr, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0f));
}

// Through the typed entry for N stack slots: the callee gets frame->arg1
// as its second argument and every other argument as the caller passed it.
template <typename... A, typename... Args>
std::optional<int64_t> CallTyped(int64_t (*fn)(void*, void*, A...), void* arg1,
                                 bool* trapped, Args... args) {
  constexpr uint32_t kSlots = StackSlotsFor<A...>();
  absl::StatusOr<const void*> entry = EntryTrampoline(kSlots);
  if (!entry.ok()) return std::nullopt;
  abi::VMRuntimeLimits limits;
  EntryFrame frame;
  frame.code = reinterpret_cast<const void*>(fn);
  frame.arg1 = arg1;
  BeginEntry(frame, &limits, kDefaultMaxWasmStack);
  const int64_t r = reinterpret_cast<int64_t (*)(void*, EntryFrame*, A...)>(
      *entry)(reinterpret_cast<void*>(7), &frame, static_cast<A>(args)...);
  EndEntry(frame);
  *trapped = frame.trap.trapped;
  return r;
}

TEST(EntryTrampolinesTest, TypedEntryCopiesStackSlots) {
  bool trapped = true;
  std::optional<int64_t> got =
      CallTyped(&MixedSum, reinterpret_cast<void*>(11), &trapped, 1, 0.25, -2,
                1.5, 3, -2.75, 4, 3.0, -5, 4.5, 6, 5.25, 7, -6.0, 8, 7.75, 9,
                8.5, -10, 9.25, 11, 10.5f);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(trapped);
  EXPECT_EQ(*got,
            MixedSum(reinterpret_cast<void*>(7), reinterpret_cast<void*>(11), 1,
                     0.25, -2, 1.5, 3, -2.75, 4, 3.0, -5, 4.5, 6, 5.25, 7, -6.0,
                     8, 7.75, 9, 8.5, -10, 9.25, 11, 10.5f));
}

int64_t AddArg1(void* a0, void* a1, int64_t x) {
  return reinterpret_cast<intptr_t>(a0) + reinterpret_cast<intptr_t>(a1) + x;
}

TEST(EntryTrampolinesTest, TypedEntryWithoutStackSlotsAndTrap) {
  bool trapped = true;
  std::optional<int64_t> got =
      CallTyped(&AddArg1, reinterpret_cast<void*>(100), &trapped, 5);
  ASSERT_TRUE(got.has_value());
  EXPECT_FALSE(trapped);
  EXPECT_EQ(*got, 7 + 100 + 5);
  got = CallTyped(&RaiseIntegerOverflow, nullptr, &trapped, 0);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(trapped);
  EXPECT_FALSE(InWasmActivation());
}

}  // namespace
}  // namespace kiln::runtime
