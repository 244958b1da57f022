#include "runtime/vm/table.h"

#include "gtest/gtest.h"

namespace kiln::runtime {
namespace {

void* P(uintptr_t v) { return reinterpret_cast<void*>(v); }

TEST(TableTest, FuncrefSlotsCarryInitBit) {
  auto t = Table::Create(wasm::ValType::kFuncRef, 3, 10);
  ASSERT_TRUE(t.ok()) << t.status();
  Table& table = **t;
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.raw_slot(0), abi::kFuncRefInitBit);  // initialised null
  ASSERT_TRUE(table.Set(1, P(0x1000)));
  EXPECT_EQ(table.raw_slot(1), 0x1001u);
  void* v;
  ASSERT_TRUE(table.Get(1, &v));
  EXPECT_EQ(v, P(0x1000));
  ASSERT_TRUE(table.Get(0, &v));
  EXPECT_EQ(v, nullptr);
  EXPECT_FALSE(table.Get(3, &v));
  EXPECT_FALSE(table.Set(3, nullptr));
  EXPECT_EQ(table.definition().size, 3u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(table.definition().base[1]), 0x1001u);
}

TEST(TableTest, ExternrefSlotsArePlain) {
  auto t = Table::Create(wasm::ValType::kExternRef, 2, std::nullopt, P(8));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->raw_slot(1), 8u);
}

TEST(TableTest, GrowRespectsMaxAndUpdatesBoundDefinition) {
  auto t = Table::Create(wasm::ValType::kFuncRef, 1, 3);
  ASSERT_TRUE(t.ok());
  Table& table = **t;
  abi::VMTableDefinition bound{};
  table.BindDefinition(&bound);
  EXPECT_EQ(bound.size, 1u);
  EXPECT_EQ(table.Grow(2, P(0x40)), 1);
  EXPECT_EQ(bound.size, 3u);
  EXPECT_EQ(bound.base, table.definition().base);
  void* v;
  ASSERT_TRUE(table.Get(2, &v));
  EXPECT_EQ(v, P(0x40));
  EXPECT_EQ(table.Grow(1, nullptr), -1);
  EXPECT_EQ(table.Grow(0, nullptr), 3);
  auto unbounded = Table::Create(wasm::ValType::kExternRef, 0, std::nullopt);
  ASSERT_TRUE(unbounded.ok());
  EXPECT_EQ((*unbounded)->Grow(0xfffffff0u, nullptr), -1);
  EXPECT_EQ((*unbounded)->Grow(1000, nullptr), 0);
}

TEST(TableTest, WrittenEndCoversEveryWrite) {
  auto t = Table::Create(wasm::ValType::kFuncRef, 8, 64);
  ASSERT_TRUE(t.ok());
  Table& table = **t;
  EXPECT_EQ(table.written_end(), 0u);  // created null: nothing stored yet
  ASSERT_TRUE(table.Set(2, P(0x10)));
  EXPECT_EQ(table.written_end(), 3u);
  ASSERT_TRUE(table.Fill(3, P(0x10), 2));
  EXPECT_EQ(table.written_end(), 5u);
  ASSERT_TRUE(Table::Copy(table, 5, table, 2, 1));
  EXPECT_EQ(table.written_end(), 6u);
  void* const items[] = {P(0x20)};
  ASSERT_TRUE(table.Init(6, items, 0, 1));
  EXPECT_EQ(table.written_end(), 7u);
  EXPECT_EQ(table.Grow(4, P(0x30)), 8);
  EXPECT_EQ(table.written_end(), 12u);
  // Failed and empty writes store nothing.
  EXPECT_FALSE(table.Set(12, nullptr));
  ASSERT_TRUE(table.Fill(11, nullptr, 0));
  EXPECT_EQ(table.written_end(), 12u);
}

TEST(TableTest, FillCopyInitBounds) {
  auto t = Table::Create(wasm::ValType::kFuncRef, 6, std::nullopt);
  ASSERT_TRUE(t.ok());
  Table& table = **t;
  EXPECT_TRUE(table.Fill(1, P(0x10), 3));  // [n, 10, 10, 10, n, n]
  EXPECT_FALSE(table.Fill(5, P(0x10), 2));
  EXPECT_TRUE(table.Fill(6, P(0x10), 0));
  EXPECT_FALSE(table.Fill(7, P(0x10), 0));
  void* const items[] = {P(0x20), P(0x30)};
  EXPECT_TRUE(table.Init(4, items, 0, 2));  // [n, 10, 10, 10, 20, 30]
  EXPECT_FALSE(table.Init(5, items, 0, 2));
  EXPECT_FALSE(table.Init(0, items, 1, 2));
  EXPECT_TRUE(Table::Copy(table, 0, table, 3, 3));  // overlapping
  void* v;
  const uintptr_t want[] = {0x10, 0x20, 0x30, 0x10, 0x20, 0x30};
  for (uint32_t i = 0; i < 6; ++i) {
    ASSERT_TRUE(table.Get(i, &v));
    EXPECT_EQ(v, P(want[i])) << i;
  }
  EXPECT_FALSE(Table::Copy(table, 0, table, 4, 3));
}

void* ResolveOddIndices(void* ctx, uint32_t index) {
  ++*static_cast<int*>(ctx);
  return index % 2 ? P(0x100 * (index + 1)) : nullptr;
}

TEST(TableTest, LazySlotsResolveOnFirstRead) {
  auto t = Table::Create(wasm::ValType::kFuncRef, 8, 16);
  ASSERT_TRUE(t.ok());
  Table& table = **t;
  int calls = 0;
  ASSERT_TRUE(table.MakeLazy(&ResolveOddIndices, &calls).ok());
  EXPECT_TRUE(table.lazy());
  EXPECT_EQ(table.raw_slot(3), 0u);  // uninitialised: no init bit
  void* v;
  ASSERT_TRUE(table.Get(3, &v));
  EXPECT_EQ(v, P(0x400));
  EXPECT_EQ(table.raw_slot(3), 0x401u);
  ASSERT_TRUE(table.Get(3, &v));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(table.ResolveSlot(2), nullptr);
  EXPECT_EQ(table.raw_slot(2), abi::kFuncRefInitBit);
  EXPECT_EQ(calls, 2);
  // Writes overwrite without resolving.
  ASSERT_TRUE(table.Set(5, P(0x50)));
  ASSERT_TRUE(table.Get(5, &v));
  EXPECT_EQ(v, P(0x50));
  EXPECT_EQ(calls, 2);
  // Copy resolves its source range: [0, 2) <- [6, 8).
  ASSERT_TRUE(Table::Copy(table, 0, table, 6, 2));
  ASSERT_TRUE(table.Get(0, &v));
  EXPECT_EQ(v, nullptr);
  ASSERT_TRUE(table.Get(1, &v));
  EXPECT_EQ(v, P(0x800));
  // Grown slots are initialised.
  EXPECT_EQ(table.Grow(1, P(0x90)), 8);
  EXPECT_EQ(table.raw_slot(8), 0x91u);
  auto externs = Table::Create(wasm::ValType::kExternRef, 1, std::nullopt);
  ASSERT_TRUE(externs.ok());
  EXPECT_FALSE((*externs)->MakeLazy(&ResolveOddIndices, &calls).ok());
}

TEST(TableTest, InvalidArguments) {
  EXPECT_FALSE(Table::Create(wasm::ValType::kI32, 0, std::nullopt).ok());
  EXPECT_FALSE(Table::Create(wasm::ValType::kFuncRef, 5, 4).ok());
  EXPECT_FALSE(Table::Create(wasm::ValType::kFuncRef, 20'000'000, std::nullopt).ok());
}

}  // namespace
}  // namespace kiln::runtime
