// Unit tests of engine pieces that need no compiled code.
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/id_table.h"
#include "engine/trap.h"
#include "engine/val.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

TEST(IdTableTest, SetGetAcrossChunks) {
  internal::IdTable<int> table;
  int a = 1, b = 2;
  EXPECT_EQ(table.Get(0), nullptr);
  table.Set(0, &a);
  table.Set(300, &b);
  EXPECT_EQ(table.Get(0), &a);
  EXPECT_EQ(table.Get(300), &b);
  EXPECT_EQ(table.Get(299), nullptr);
  EXPECT_EQ(table.Get(internal::IdTable<int>::kMaxIds), nullptr);
  table.Set(internal::IdTable<int>::kMaxIds, &a);  // ignored
  EXPECT_EQ(table.Get(internal::IdTable<int>::kMaxIds), nullptr);
}

TEST(SignatureRegistryTest, DenseIdsStableUnderConcurrency) {
  SignatureRegistry registry;
  constexpr int kTypes = 600;  // more than two IdTable chunks
  std::vector<std::thread> threads;
  std::vector<std::vector<uint32_t>> ids(4, std::vector<uint32_t>(kTypes));
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTypes; ++i) {
        wasm::FuncType type;
        for (int k = 0; k < i % 7; ++k) type.params.push_back(ValType::kI64);
        for (int k = 0; k < i / 7; ++k) type.results.push_back(ValType::kF32);
        ids[t][i] = registry.Intern(type);
        EXPECT_EQ(registry.Lookup(ids[t][i]), type);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 1; t < 4; ++t) EXPECT_EQ(ids[t], ids[0]);
  EXPECT_EQ(registry.size(), static_cast<size_t>(kTypes));
  for (uint32_t id : ids[0]) EXPECT_LT(id, static_cast<uint32_t>(kTypes));
}

TEST(TrapTest, MessageAndBacktraceText) {
  Trap t(TrapCode::kIntegerDivisionByZero,
         {FrameInfo{"m", 3, "div", 0x10}, FrameInfo{"", 1, "", 0x4}});
  EXPECT_EQ(t.message(), "integer divide by zero");
  EXPECT_EQ(t.ToString(),
            "integer divide by zero\n  #0 m::div (func 3) +0x10\n"
            "  #1 <func 1> (func 1) +0x4");
  Trap h = Trap::Host("boom");
  EXPECT_EQ(h.code(), TrapCode::kHostError);
  EXPECT_EQ(h.message(), "boom");
}

TEST(ResultTest, ValueErrorTrap) {
  Result<int> v = 5;
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(*v, 5);
  Result<int> e = absl::InvalidArgumentError("bad");
  EXPECT_TRUE(e.is_error());
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  Result<int> t = Trap(TrapCode::kUnreachableCodeReached);
  EXPECT_TRUE(t.is_trap());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kAborted);
  Result<void> ok;
  EXPECT_TRUE(ok.ok());
  Result<void> ok2 = absl::OkStatus();
  EXPECT_TRUE(ok2.ok());
}

TEST(ValTest, Basics) {
  EXPECT_EQ(Val::I32(-1).type(), ValType::kI32);
  EXPECT_EQ(Val::I32(-1).ToRaw().i32, -1);
  EXPECT_EQ(Val::F64(0.5).ToString(), "f64:0.5");
  EXPECT_EQ(Val::ExternRef(nullptr).ToString(), "externref:null");
  EXPECT_EQ(Val::Default(ValType::kI64).i64(), 0);
  EXPECT_EQ(sizeof(ValRaw), 16u);
}

}  // namespace
}  // namespace kiln
