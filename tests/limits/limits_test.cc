// Resource limits: StoreLimits / ResourceLimiter consulted on instantiation,
// memory.grow / table.grow from wasm and the host API, instance / memory /
// table counts; and Config::max_wasm_stack.
#include <cstdint>
#include <cstdio>
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

constexpr size_t kPage = 65536;

// memory 1 page (max 10), table 1 funcref (max 20); grow helpers.
constexpr char kGrowWat[] = R"(
  (module
    (memory (export "mem") 1 10)
    (table (export "tab") 1 20 funcref)
    (func (export "grow") (param i32) (result i32)
      (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "tgrow") (param i32) (result i32)
      (table.grow 0 (ref.null func) (local.get 0)))
    (func (export "tsize") (result i32) (table.size 0))
    (func (export "store_last") (param i32)
      ;; writes the last byte of the memory (traps past the end)
      (i32.store8 (i32.sub (i32.mul (memory.size) (i32.const 65536))
                           (i32.const 1))
                  (local.get 0))))
)";

class LimitsTest : public ::testing::Test {
 protected:
  Module Compile(std::string_view wat) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, wat);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }

  Engine engine_;
};

TEST_F(LimitsTest, MemoryGrowRefusedAtLimitReturnsMinusOne) {
  Store<> store(engine_);
  StoreLimits limits = StoreLimitsBuilder().MemorySize(3 * kPage).Build();
  store.SetLimiter(&limits);
  Module m = Compile(kGrowWat);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto grow = TypedExport<int32_t(int32_t)>(store, *inst, "grow");
  auto size = TypedExport<int32_t()>(store, *inst, "size");
  auto store_last = TypedExport<void(int32_t)>(store, *inst, "store_last");

  EXPECT_EQ(*grow.Call(store, 1), 1);   // 2 pages
  EXPECT_EQ(*grow.Call(store, 2), -1);  // 4 > 3: refused
  EXPECT_EQ(*size.Call(store), 2);      // unchanged
  EXPECT_EQ(*grow.Call(store, 1), 2);   // exactly at the limit
  EXPECT_EQ(*grow.Call(store, 1), -1);
  EXPECT_EQ(*grow.Call(store, 0), 3);   // growing by 0 is always fine
  EXPECT_EQ(*size.Call(store), 3);
  // The memory is really 3 pages: its last byte is writable, and the host
  // view agrees.
  ASSERT_TRUE(store_last.Call(store, 7).ok());
  absl::StatusOr<Memory> mem = inst->GetMemory(store, "mem");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(mem->data_size(store).value(), 3 * kPage);
  EXPECT_EQ(mem->data(store).value()[3 * kPage - 1], 7);
  // A huge request is refused, not overcommitted or crashed.
  EXPECT_EQ(*grow.Call(store, 0x7fffffff), -1);
  EXPECT_EQ(*grow.Call(store, -1), -1);
  EXPECT_EQ(*size.Call(store), 3);
}

TEST_F(LimitsTest, TableGrowRefusedAtLimitReturnsMinusOne) {
  Store<> store(engine_);
  StoreLimits limits = StoreLimitsBuilder().TableElements(5).Build();
  store.SetLimiter(&limits);
  Module m = Compile(kGrowWat);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto tgrow = TypedExport<int32_t(int32_t)>(store, *inst, "tgrow");
  auto tsize = TypedExport<int32_t()>(store, *inst, "tsize");
  EXPECT_EQ(*tgrow.Call(store, 3), 1);   // 4
  EXPECT_EQ(*tgrow.Call(store, 2), -1);  // 6 > 5
  EXPECT_EQ(*tsize.Call(store), 4);
  EXPECT_EQ(*tgrow.Call(store, 1), 4);   // 5
  EXPECT_EQ(*tgrow.Call(store, 1), -1);
  EXPECT_EQ(*tsize.Call(store), 5);
  absl::StatusOr<Table> tab = inst->GetTable(store, "tab");
  ASSERT_TRUE(tab.ok());
  EXPECT_EQ(*tab->size(store), 5u);
}

TEST_F(LimitsTest, InitialSizeOverTheLimitFailsInstantiation) {
  Store<> store(engine_);
  StoreLimits limits = StoreLimitsBuilder().MemorySize(kPage).Build();
  store.SetLimiter(&limits);
  Module m = Compile(R"((module (memory 2)))");
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.is_error());
  EXPECT_EQ(inst.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(inst.status().message(), HasSubstr("memory 0"));
  EXPECT_THAT(inst.status().message(), HasSubstr("2 pages"));
  EXPECT_THAT(inst.status().message(),
              HasSubstr("StoreLimits memory_size = 65536 bytes"));

  StoreLimits tl = StoreLimitsBuilder().TableElements(10).Build();
  store.SetLimiter(&tl);
  Module t = Compile(R"((module (table 11 funcref)))");
  Result<Instance> ti = Instance::Create(store, t, {});
  ASSERT_TRUE(ti.is_error());
  EXPECT_THAT(ti.status().message(), HasSubstr("table 0"));
  EXPECT_THAT(ti.status().message(),
              HasSubstr("StoreLimits table_elements = 10"));
  // At the limit is fine.
  Module ok = Compile(R"((module (table 10 funcref) (memory 1)))");
  EXPECT_TRUE(Instance::Create(store, ok, {}).ok());
}

TEST_F(LimitsTest, InstanceMemoryAndTableCounts) {
  Module two = Compile(R"((module (memory 1) (table 1 funcref)))");
  {
    Store<> store(engine_);
    StoreLimits limits = StoreLimitsBuilder().Instances(3).Build();
    store.SetLimiter(&limits);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(Instance::Create(store, two, {}).ok()) << i;
    }
    Result<Instance> over = Instance::Create(store, two, {});
    ASSERT_TRUE(over.is_error());
    EXPECT_EQ(over.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(over.status().message(), HasSubstr("3 instances"));
    EXPECT_THAT(over.status().message(), HasSubstr("limit of 3"));
  }
  {
    Store<> store(engine_);
    StoreLimits limits = StoreLimitsBuilder().Memories(2).Build();
    store.SetLimiter(&limits);
    ASSERT_TRUE(Instance::Create(store, two, {}).ok());
    // A host-created memory counts too.
    ASSERT_TRUE(Memory::New(store, MemoryType{{1, std::nullopt}}).ok());
    Result<Instance> over = Instance::Create(store, two, {});
    ASSERT_TRUE(over.is_error());
    EXPECT_THAT(over.status().message(), HasSubstr("memories"));
    EXPECT_FALSE(Memory::New(store, MemoryType{{1, std::nullopt}}).ok());
    // A module without memories still instantiates.
    Module none = Compile(R"((module (table 1 funcref)))");
    EXPECT_TRUE(Instance::Create(store, none, {}).ok());
  }
  {
    Store<> store(engine_);
    StoreLimits limits = StoreLimitsBuilder().Tables(1).Build();
    store.SetLimiter(&limits);
    ASSERT_TRUE(Instance::Create(store, two, {}).ok());
    Result<Instance> over = Instance::Create(store, two, {});
    ASSERT_TRUE(over.is_error());
    EXPECT_THAT(over.status().message(), HasSubstr("tables"));
    EXPECT_FALSE(
        Table::New(store, TableType{ValType::kFuncRef, {1, std::nullopt}},
                   Val::FuncRef(std::nullopt))
            .ok());
  }
}

// Multi-memory: the limiter is asked for every memory (each initial size,
// each grow, the count), and memory_size bounds each memory on its own.
TEST_F(LimitsTest, EveryMemoryOfAModuleIsLimited) {
  Module m = Compile(R"(
    (module
      (memory (export "a") 1)
      (memory (export "b") 2)
      (func (export "grow_a") (param i32) (result i32)
        (memory.grow 0 (local.get 0)))
      (func (export "grow_b") (param i32) (result i32)
        (memory.grow 1 (local.get 0))))
  )");
  {
    Store<> store(engine_);
    StoreLimits limits = StoreLimitsBuilder().MemorySize(3 * kPage).Build();
    store.SetLimiter(&limits);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    auto grow_a = TypedExport<int32_t(int32_t)>(store, *inst, "grow_a");
    auto grow_b = TypedExport<int32_t(int32_t)>(store, *inst, "grow_b");
    EXPECT_EQ(*grow_b.Call(store, 2), -1);  // 4 > 3 pages: refused
    EXPECT_EQ(*grow_b.Call(store, 1), 2);   // 3: at the limit
    EXPECT_EQ(*grow_a.Call(store, 2), 1);   // memory a has its own 3 pages
    EXPECT_EQ(*grow_a.Call(store, 1), -1);
    EXPECT_EQ(*inst->GetMemory(store, "a")->size(store), 3u);
    EXPECT_EQ(*inst->GetMemory(store, "b")->size(store), 3u);
    // The host API asks the same limiter for each memory.
    EXPECT_FALSE(inst->GetMemory(store, "b")->Grow(store, 1).ok());
  }
  {
    // Memory 1's initial size is over the limit: named in the error.
    Store<> store(engine_);
    StoreLimits limits = StoreLimitsBuilder().MemorySize(kPage).Build();
    store.SetLimiter(&limits);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.is_error());
    EXPECT_THAT(inst.status().message(), HasSubstr("memory 1"));
  }
  {
    // Both memories count against the store's memories().
    Store<> store(engine_);
    StoreLimits limits = StoreLimitsBuilder().Memories(1).Build();
    store.SetLimiter(&limits);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.is_error());
    EXPECT_THAT(inst.status().message(), HasSubstr("memories"));
  }
}

TEST_F(LimitsTest, TrapOnGrowFailure) {
  Store<> store(engine_);
  StoreLimits limits = StoreLimitsBuilder()
                           .MemorySize(2 * kPage)
                           .TableElements(3)
                           .TrapOnGrowFailure(true)
                           .Build();
  store.SetLimiter(&limits);
  Module m = Compile(kGrowWat);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto grow = TypedExport<int32_t(int32_t)>(store, *inst, "grow");
  auto size = TypedExport<int32_t()>(store, *inst, "size");
  auto tgrow = TypedExport<int32_t(int32_t)>(store, *inst, "tgrow");
  EXPECT_EQ(*grow.Call(store, 1), 1);
  Result<int32_t> r = grow.Call(store, 1);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kHostError);
  EXPECT_THAT(r.trap().message(), HasSubstr("memory_size of 131072 bytes"));
  // The store stays usable, the memory unchanged.
  EXPECT_EQ(*size.Call(store), 2);
  // Past the declared maximum (10 pages) is a failure of its own; with
  // trap_on_grow_failure it traps too (without the limiter's size limit
  // in the way: a fresh limiter only trapping).
  StoreLimits trap_only = StoreLimitsBuilder().TrapOnGrowFailure(true).Build();
  store.SetLimiter(&trap_only);
  Result<int32_t> past_max = grow.Call(store, 9);
  ASSERT_TRUE(past_max.is_trap());
  EXPECT_THAT(past_max.trap().message(), HasSubstr("cannot grow"));
  store.SetLimiter(&limits);
  Result<int32_t> t = tgrow.Call(store, 5);
  ASSERT_TRUE(t.is_trap());
  EXPECT_THAT(t.trap().message(), HasSubstr("table_elements of 3"));
  EXPECT_EQ(*tgrow.Call(store, 2), 1);
}

// The callback form: a ResourceLimiter subclass living in the store's data.
class CountingLimiter : public ResourceLimiter {
 public:
  absl::StatusOr<bool> MemoryGrowing(size_t current, size_t desired,
                                     std::optional<size_t> maximum) override {
    calls.push_back({current, desired, maximum.value_or(0)});
    if (desired > trap_above) {
      return absl::PermissionDeniedError("guest asked for too much memory");
    }
    return desired <= allow_up_to;
  }
  absl::StatusOr<bool> TableGrowing(size_t current, size_t desired,
                                    std::optional<size_t>) override {
    table_calls.push_back({current, desired, 0});
    return desired <= 4;
  }
  struct Call {
    size_t current, desired, maximum;
    bool operator==(const Call&) const = default;
  };
  std::vector<Call> calls;
  std::vector<Call> table_calls;
  size_t allow_up_to = 2 * kPage;
  size_t trap_above = 100 * kPage;
};

struct Data {
  CountingLimiter limiter;
};

TEST_F(LimitsTest, CallbackLimiterInStoreData) {
  Store<Data> store(engine_, Data{});
  store.SetLimiter([](Data& d) -> ResourceLimiter& { return d.limiter; });
  Module m = Compile(kGrowWat);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  // Creation asked with current 0 and the declared maximum.
  ASSERT_EQ(store.data().limiter.calls.size(), 1u);
  EXPECT_EQ(store.data().limiter.calls[0],
            (CountingLimiter::Call{0, kPage, 10 * kPage}));
  ASSERT_EQ(store.data().limiter.table_calls.size(), 1u);
  EXPECT_EQ(store.data().limiter.table_calls[0], (CountingLimiter::Call{0, 1, 0}));

  auto grow = TypedExport<int32_t(int32_t)>(store, *inst, "grow");
  auto tgrow = TypedExport<int32_t(int32_t)>(store, *inst, "tgrow");
  EXPECT_EQ(*grow.Call(store, 1), 1);
  EXPECT_EQ(*grow.Call(store, 1), -1);  // false -> -1
  EXPECT_EQ(store.data().limiter.calls.back(),
            (CountingLimiter::Call{2 * kPage, 3 * kPage, 10 * kPage}));
  // Past the declared maximum: the limiter is not asked.
  const size_t asked = store.data().limiter.calls.size();
  EXPECT_EQ(*grow.Call(store, 20), -1);
  EXPECT_EQ(store.data().limiter.calls.size(), asked);
  // An error traps with the limiter's message.
  store.data().limiter.allow_up_to = 10 * kPage;
  store.data().limiter.trap_above = 3 * kPage;
  Result<int32_t> r = grow.Call(store, 5);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().message(), "guest asked for too much memory");
  EXPECT_EQ(*grow.Call(store, 1), 2);  // usable afterwards
  EXPECT_EQ(*tgrow.Call(store, 3), 1);
  EXPECT_EQ(*tgrow.Call(store, 1), -1);
}

TEST_F(LimitsTest, HostApiGrowsAreLimited) {
  Store<> store(engine_);
  StoreLimits limits =
      StoreLimitsBuilder().MemorySize(2 * kPage).TableElements(3).Build();
  store.SetLimiter(&limits);
  Module m = Compile(kGrowWat);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  Memory mem = *inst->GetMemory(store, "mem");
  EXPECT_EQ(*mem.Grow(store, 1), 1u);
  absl::StatusOr<uint32_t> over = mem.Grow(store, 1);
  EXPECT_FALSE(over.ok());
  EXPECT_EQ(*mem.size(store), 2u);
  Table tab = *inst->GetTable(store, "tab");
  EXPECT_EQ(*tab.Grow(store, 2, Val::FuncRef(std::nullopt)), 1u);
  EXPECT_FALSE(tab.Grow(store, 1, Val::FuncRef(std::nullopt)).ok());
  EXPECT_EQ(*tab.size(store), 3u);

  // Host-created memories and tables: initial size and grows.
  absl::StatusOr<Memory> big = Memory::New(store, MemoryType{{3, std::nullopt}});
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("Memory::New 0"));
  absl::StatusOr<Memory> small =
      Memory::New(store, MemoryType{{2, std::nullopt}});
  ASSERT_TRUE(small.ok());
  EXPECT_FALSE(small->Grow(store, 1).ok());

  // The limiter's error is returned as is.
  StoreLimits trapping =
      StoreLimitsBuilder().MemorySize(2 * kPage).TrapOnGrowFailure(true).Build();
  store.SetLimiter(&trapping);
  absl::StatusOr<uint32_t> err = mem.Grow(store, 1);
  ASSERT_FALSE(err.ok());
  EXPECT_THAT(err.status().message(), HasSubstr("trap_on_grow_failure"));

  // Without a limiter nothing is limited.
  store.SetLimiter(nullptr);
  EXPECT_EQ(*mem.Grow(store, 3), 2u);
}

TEST_F(LimitsTest, LimiterSetAfterInstantiationApplies) {
  Store<> store(engine_);
  Module m = Compile(kGrowWat);
  Result<Instance> inst = Instance::Create(store, m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto grow = TypedExport<int32_t(int32_t)>(store, *inst, "grow");
  EXPECT_EQ(*grow.Call(store, 1), 1);
  StoreLimits limits = StoreLimitsBuilder().MemorySize(2 * kPage).Build();
  store.SetLimiter(&limits);
  EXPECT_EQ(*grow.Call(store, 1), -1);
}

// The pooling allocator has limits of its own (max_memory_size); the
// store's limiter applies on top of them, to pooled instances too.
TEST_F(LimitsTest, PooledInstancesAreLimitedToo) {
  Config config;
  config.allocation_strategy = InstanceAllocationStrategy::kPooling;
  config.pooling.total_instances = 4;
  Engine engine(config);
  Store<> store(engine);
  StoreLimits limits =
      StoreLimitsBuilder().MemorySize(2 * kPage).TableElements(2).Build();
  store.SetLimiter(&limits);
  absl::StatusOr<Module> m = Module::FromWat(engine, kGrowWat);
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto grow = inst->GetTypedFunc<int32_t(int32_t)>(store, "grow");
  auto tgrow = inst->GetTypedFunc<int32_t(int32_t)>(store, "tgrow");
  ASSERT_TRUE(grow.ok() && tgrow.ok());
  EXPECT_EQ(*grow->Call(store, 1), 1);
  EXPECT_EQ(*grow->Call(store, 1), -1);
  EXPECT_EQ(*tgrow->Call(store, 1), 1);
  EXPECT_EQ(*tgrow->Call(store, 1), -1);
  Module big = *Module::FromWat(engine, R"((module (memory 3)))");
  Result<Instance> over = Instance::Create(store, big, {});
  ASSERT_TRUE(over.is_error());
  EXPECT_THAT(over.status().message(), HasSubstr("memory_size"));
}

// --- Config::max_wasm_stack

constexpr char kRecurseWat[] = R"(
  (module
    (func $rec (export "rec") (param i32) (result i32)
      (if (result i32) (i32.eqz (local.get 0))
        (then (i32.const 0))
        (else (i32.add (i32.const 1)
                       (call $rec (i32.sub (local.get 0) (i32.const 1))))))))
)";

// The deepest recursion that completes under `stack` bytes (binary
// search; each probe is a fresh call, the store reused after traps).
int32_t DeepestUnder(size_t stack) {
  Config config;
  config.max_wasm_stack = stack;
  Engine engine(config);
  Store<> store(engine);
  absl::StatusOr<Module> m = Module::FromWat(engine, kRecurseWat);
  EXPECT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  EXPECT_TRUE(inst.ok());
  auto rec = inst->GetTypedFunc<int32_t(int32_t)>(store, "rec");
  EXPECT_TRUE(rec.ok());
  int32_t lo = 0, hi = 1 << 22;
  while (lo + 1 < hi) {
    const int32_t mid = lo + (hi - lo) / 2;
    Result<int32_t> r = rec->Call(store, mid);
    if (r.ok()) {
      EXPECT_EQ(*r, mid);
      lo = mid;
    } else {
      EXPECT_TRUE(r.is_trap());
      if (r.is_trap()) {
        EXPECT_EQ(r.trap().code(), TrapCode::kStackOverflow);
      }
      hi = mid;
    }
  }
  return lo;
}

TEST(MaxWasmStackTest, DeepRecursionTrapsAndSmallerStackTrapsEarlier) {
  Config config;
  config.max_wasm_stack = 256 * 1024;
  Engine engine(config);
  Store<> store(engine);
  absl::StatusOr<Module> m = Module::FromWat(engine, kRecurseWat);
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  ASSERT_TRUE(inst.ok());
  auto rec = inst->GetTypedFunc<int32_t(int32_t)>(store, "rec");
  ASSERT_TRUE(rec.ok());
  Result<int32_t> deep = rec->Call(store, 10'000'000);
  ASSERT_TRUE(deep.is_trap());
  EXPECT_EQ(deep.trap().code(), TrapCode::kStackOverflow);
  EXPECT_EQ(deep.trap().message(), "call stack exhausted");
  // The store is usable afterwards, and recursion within budget works.
  Result<int32_t> shallow = rec->Call(store, 100);
  ASSERT_TRUE(shallow.ok());
  EXPECT_EQ(*shallow, 100);

  const int32_t small = DeepestUnder(64 * 1024);
  const int32_t large = DeepestUnder(512 * 1024);
  EXPECT_GT(small, 10);
  std::printf("max_wasm_stack 64 KiB: depth %d, 512 KiB: depth %d\n", small,
              large);
  // Roughly proportional to the budget: 8x the stack, well over 4x depth.
  EXPECT_GT(large, 4 * small) << "small " << small << " large " << large;
}

}  // namespace
}  // namespace kiln
