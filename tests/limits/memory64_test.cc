// Memory64 sizes: memory.grow beyond 4 GiB up to Config::memory64_max_bytes
// (address space reserved, pages committed only when touched: these tests
// touch a few pages of a memory over 4 GiB), the store's ResourceLimiter,
// the Memory API in u64 pages, import matching, and the pooling
// allocator's refusal, .cwasm round trip and feature bits.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/kiln.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/typed_export.h"

namespace kiln {
namespace {

using ::kiln::test_util::TypedExport;
using ::testing::HasSubstr;

constexpr uint64_t kPage = 65536;
constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kPagesIn4GiB = (uint64_t{4} << 30) / kPage;

constexpr char kMemory64Wat[] = R"(
  (module
    (memory (export "mem") i64 1)
    (func (export "grow") (param i64) (result i64)
      (memory.grow (local.get 0)))
    (func (export "size") (result i64) (memory.size))
    (func (export "store8") (param i64 i32)
      (i32.store8 (local.get 0) (local.get 1)))
    (func (export "load8") (param i64) (result i32)
      (i32.load8_u (local.get 0)))
    (func (export "load_far") (param i64) (result i64)
      (i64.load offset=0xfffffff0 (local.get 0))))
)";

Config WithMax(uint64_t bytes) {
  Config config;
  config.memory64_max_bytes = bytes;
  return config;
}

class Memory64Test : public ::testing::Test {
 protected:
  explicit Memory64Test(Config config = WithMax(6 * kGiB))
      : engine_(config) {}

  Result<Instance> Instantiate(Store<>& store) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, kMemory64Wat);
    EXPECT_TRUE(m.ok()) << m.status();
    return Instance::Create(store, *m, {});
  }

  Engine engine_;
};

TEST_F(Memory64Test, GrowsBeyond4GiBUpToTheConfiguredMaximum) {
  Store<> store(engine_);
  Result<Instance> inst = Instantiate(store);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto grow = TypedExport<int64_t(int64_t)>(store, *inst, "grow");
  auto size = TypedExport<int64_t()>(store, *inst, "size");
  auto store8 = TypedExport<void(int64_t, int32_t)>(store, *inst, "store8");
  auto load8 = TypedExport<int32_t(int64_t)>(store, *inst, "load8");
  auto load_far = TypedExport<int64_t(int64_t)>(store, *inst, "load_far");

  // 1 page -> 4 GiB + 1 page: the size no longer fits 32 bits.
  EXPECT_EQ(*grow.Call(store, kPagesIn4GiB), 1);
  EXPECT_EQ(*size.Call(store), static_cast<int64_t>(kPagesIn4GiB + 1));
  const int64_t high = static_cast<int64_t>(4 * kGiB + 100);
  ASSERT_TRUE(store8.Call(store, high, 0x5a).ok());
  EXPECT_EQ(*load8.Call(store, high), 0x5a);
  EXPECT_EQ(*load8.Call(store, high - 1), 0);  // fresh pages read zero
  // An offset above 4 GiB - 16 reaches past 4 GiB.
  EXPECT_EQ(*load_far.Call(store, high - 0xfffffff0), 0x5a);

  // Past the end: out of bounds, also with a wrapping address.
  const int64_t end = static_cast<int64_t>((kPagesIn4GiB + 1) * kPage);
  EXPECT_TRUE(load8.Call(store, end - 1).ok());
  Result<int32_t> oob = load8.Call(store, end);
  ASSERT_FALSE(oob.ok());
  EXPECT_THAT(oob.status().message(), HasSubstr("out of bounds memory access"));
  EXPECT_FALSE(load8.Call(store, -1).ok());
  EXPECT_FALSE(load_far.Call(store, -8).ok());
  EXPECT_FALSE(load_far.Call(store, end - 0xfffffff0 - 7).ok());
  EXPECT_TRUE(load_far.Call(store, end - 0xfffffff0 - 8).ok());

  // Config::memory64_max_bytes (6 GiB) bounds it: 96 Ki pages.
  const int64_t cap_pages = static_cast<int64_t>(6 * kGiB / kPage);
  EXPECT_EQ(*grow.Call(store, cap_pages - size.Call(store).value() + 1), -1);
  EXPECT_EQ(*grow.Call(store, int64_t{1} << 40), -1);
  EXPECT_EQ(*grow.Call(store, -1), -1);  // 2^64 - 1 pages
  EXPECT_EQ(*size.Call(store), static_cast<int64_t>(kPagesIn4GiB + 1));

  // The host API speaks u64 pages.
  Memory mem = *inst->GetMemory(store, "mem");
  EXPECT_EQ(*mem.size(store), kPagesIn4GiB + 1);
  EXPECT_EQ(*mem.data_size(store), (kPagesIn4GiB + 1) * kPage);
  EXPECT_TRUE((*mem.type(store)).is64);
  EXPECT_EQ(*mem.Grow(store, 1), kPagesIn4GiB + 1);
  EXPECT_FALSE(mem.Grow(store, uint64_t{1} << 40).ok());
}

TEST_F(Memory64Test, TheResourceLimiterIsAsked) {
  Store<> store(engine_);
  StoreLimits limits = StoreLimitsBuilder().MemorySize(5 * kGiB).Build();
  store.SetLimiter(&limits);
  Result<Instance> inst = Instantiate(store);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto grow = TypedExport<int64_t(int64_t)>(store, *inst, "grow");
  auto size = TypedExport<int64_t()>(store, *inst, "size");
  EXPECT_EQ(*grow.Call(store, kPagesIn4GiB), 1);
  // 5 GiB + 1 page would exceed the limit: refused, nothing changes.
  EXPECT_EQ(*grow.Call(store, kPagesIn4GiB / 4), -1);
  EXPECT_EQ(*size.Call(store), static_cast<int64_t>(kPagesIn4GiB + 1));
  EXPECT_EQ(*grow.Call(store, kPagesIn4GiB / 4 - 1), kPagesIn4GiB + 1);
}

TEST(Memory64ConfigTest, MinimumAboveTheConfiguredMaximumFails) {
  Engine engine(WithMax(4 * kGiB));
  Store<> store(engine);
  // 2^17 pages = 8 GiB.
  absl::StatusOr<Module> m =
      Module::FromWat(engine, "(module (memory i64 0x20000))");
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  ASSERT_FALSE(inst.ok());
  EXPECT_THAT(inst.status().message(),
              HasSubstr("Config::memory64_max_bytes"));
  EXPECT_THAT(inst.status().message(), HasSubstr("memory 0"));
}

TEST(Memory64ConfigTest, PoolingRefusesA64BitMemory) {
  Config config;
  config.allocation_strategy = InstanceAllocationStrategy::kPooling;
  config.pooling.total_instances = 2;
  Engine engine(config);
  Store<> store(engine);
  absl::StatusOr<Module> m = Module::FromWat(engine, "(module (memory i64 1))");
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  ASSERT_FALSE(inst.ok());
  EXPECT_TRUE(absl::IsUnimplemented(inst.status())) << inst.status();
  EXPECT_THAT(inst.status().message(),
              HasSubstr("memory 0 is a 64-bit memory (memory64)"));
}

TEST(Memory64ConfigTest, HostMemoriesAndImports) {
  Engine engine;
  Store<> store(engine);
  MemoryType type{{2, 70000}};
  type.is64 = true;
  absl::StatusOr<Memory> mem = Memory::New(store, type);
  ASSERT_TRUE(mem.ok()) << mem.status();
  EXPECT_TRUE(mem->type(store)->is64);
  EXPECT_EQ(mem->type(store)->limits.max, 70000u);
  absl::StatusOr<Module> m = Module::FromWat(engine, R"(
    (module (import "env" "m" (memory i64 1))
      (func (export "size") (result i64) (memory.size)))
  )");
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {Extern(*mem)});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto size = inst->GetTypedFunc<int64_t()>(store, "size");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size->Call(store), 2);

  // A 32-bit memory does not match a 64-bit import, nor the reverse.
  absl::StatusOr<Memory> mem32 = Memory::New(store, MemoryType{{2, std::nullopt}});
  ASSERT_TRUE(mem32.ok());
  Result<Instance> wrong = Instance::Create(store, *m, {Extern(*mem32)});
  ASSERT_FALSE(wrong.ok());
  EXPECT_THAT(wrong.status().message(), HasSubstr("memory i64"));
}

// memory.copy between a 64-bit and a 32-bit memory (multi-memory): each
// address has its memory's type, the length is i32; each side's bounds.
TEST(Memory64ConfigTest, CopyBetween32And64BitMemories) {
  Engine engine;
  Store<> store(engine);
  absl::StatusOr<Module> m = Module::FromWat(engine, R"(
    (module
      (memory $a i64 1) (memory $b 1)
      (data (memory $b) (i32.const 8) "\01\02\03")
      (func (export "to64") (param i64 i32 i32)
        (memory.copy $a $b (local.get 0) (local.get 1) (local.get 2)))
      (func (export "to32") (param i32 i64 i32)
        (memory.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
      (func (export "load64") (param i64) (result i32) (i32.load8_u $a (local.get 0)))
      (func (export "load32") (param i32) (result i32) (i32.load8_u $b (local.get 0))))
  )");
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto to64 = *inst->GetTypedFunc<void(int64_t, int32_t, int32_t)>(store, "to64");
  auto to32 = *inst->GetTypedFunc<void(int32_t, int64_t, int32_t)>(store, "to32");
  auto load64 = *inst->GetTypedFunc<int32_t(int64_t)>(store, "load64");
  auto load32 = *inst->GetTypedFunc<int32_t(int32_t)>(store, "load32");
  ASSERT_TRUE(to64.Call(store, 0xfffd, 8, 3).ok());
  EXPECT_EQ(*load64.Call(store, 0xffff), 3);
  ASSERT_TRUE(to32.Call(store, 100, 0xfffd, 3).ok());
  EXPECT_EQ(*load32.Call(store, 100), 1);
  EXPECT_FALSE(to64.Call(store, 0xfffe, 8, 3).ok());          // 64-bit side
  EXPECT_FALSE(to64.Call(store, int64_t{1} << 32, 0, 1).ok());
  EXPECT_FALSE(to32.Call(store, 0xfffe, 0, 3).ok());          // 32-bit side
  EXPECT_FALSE(to32.Call(store, 0, -1, 1).ok());
  // The length is u32: 0xffffffff is large, not -1.
  EXPECT_FALSE(to64.Call(store, 0, 0, -1).ok());
}

TEST(Memory64ConfigTest, CwasmRoundTripAndFeatureBits) {
  Config config;
  config.verify = true;  // the IR verifier takes i64 heap indices
  Engine engine(config);
  absl::StatusOr<Module> m = Module::FromWat(engine, R"(
    (module (memory i64 1) (data (i64.const 70000) "\07")
      (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
      (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0))))
  )");
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<Module> loaded = Module::Deserialize(engine, *bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Store<> store(engine);
  Result<Instance> inst = Instance::Create(store, *loaded, {});
  ASSERT_FALSE(inst.ok());  // the segment ends past the one page
  EXPECT_THAT(inst.status().message(), HasSubstr("out of bounds"));

  absl::StatusOr<Module> fits = Module::FromWat(engine, R"(
    (module (memory i64 2) (data (i64.const 70000) "\07")
      (func (export "grow") (param i64) (result i64) (memory.grow (local.get 0)))
      (func (export "load8") (param i64) (result i32) (i32.load8_u (local.get 0))))
  )");
  ASSERT_TRUE(fits.ok()) << fits.status();
  bytes = fits->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  loaded = Module::Deserialize(engine, *bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  inst = Instance::Create(store, *loaded, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto load8 = inst->GetTypedFunc<int32_t(int64_t)>(store, "load8");
  auto grow = inst->GetTypedFunc<int64_t(int64_t)>(store, "grow");
  ASSERT_TRUE(load8.ok() && grow.ok());
  EXPECT_EQ(*load8->Call(store, 70000), 7);
  EXPECT_EQ(*grow->Call(store, 1), 2);
  EXPECT_FALSE(load8->Call(store, 3 * int64_t{kPage}).ok());

  // The artifact records memory64 among its features: an engine with it
  // off refuses the artifact, and its validator the module.
  Config off;
  off.wasm_features.memory64 = false;
  Engine engine_off(off);
  absl::Status refused = Module::Deserialize(engine_off, *bytes).status();
  EXPECT_FALSE(refused.ok());
  EXPECT_THAT(refused.message(), HasSubstr("memory64"));
  absl::StatusOr<Module> invalid =
      Module::FromWat(engine_off, "(module (memory i64 1))");
  ASSERT_FALSE(invalid.ok());
  EXPECT_THAT(invalid.status().message(),
              HasSubstr("requires the memory64 feature"));
}

}  // namespace
}  // namespace kiln
