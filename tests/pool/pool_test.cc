// The pooling allocator through the engine API (runtime/pool, engine
// Config::allocation_strategy = kPooling) and lazily filled funcref tables
// (with pooling and on demand): slot exhaustion and reuse, resets between
// instances in the same slot, limits, memory.grow up to the slot size,
// table reuse, every way a lazy table entry can be read, and memories
// whose pages commit on first touch (PoolingAllocationConfig::lazy_commit).
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

Config PoolingConfig(uint32_t instances = 4) {
  Config config;
  config.allocation_strategy = InstanceAllocationStrategy::kPooling;
  config.pooling.total_instances = instances;
  config.pooling.max_memory_size = 4 * 65536;  // 4 pages
  config.pooling.max_table_elements = 100;
  config.pooling.max_tables_per_instance = 2;
  config.pooling.max_memories_per_instance = 2;
  return config;
}

Module Compile(const Engine& engine, std::string_view wat) {
  absl::StatusOr<Module> m = Module::FromWat(engine, wat);
  EXPECT_TRUE(m.ok()) << m.status();
  return *std::move(m);
}

int32_t CallI32(StoreOpaque& store, const Instance& inst, std::string_view name,
                std::vector<Val> args = {}) {
  absl::StatusOr<Func> f = inst.GetFunc(store, name);
  EXPECT_TRUE(f.ok()) << name;
  if (!f.ok()) return -12345;
  Result<std::vector<Val>> r = f->Call(store, args);
  EXPECT_TRUE(r.ok()) << name << ": " << r.status();
  if (!r.ok() || r->empty()) return -12345;
  return (*r)[0].i32();
}

constexpr std::string_view kCounter = R"(
  (module
    (func (export "f") (result i32) (i32.const 1)))
)";

TEST(PoolTest, ExhaustionIsAClearErrorAndSlotsAreReused) {
  Engine engine(PoolingConfig(2));
  Module m = Compile(engine, kCounter);
  auto a = std::make_unique<Store<>>(engine);
  auto b = std::make_unique<Store<>>(engine);
  Store<> c(engine);
  ASSERT_TRUE(Instance::Create(*a, m, {}).ok());
  ASSERT_TRUE(Instance::Create(*b, m, {}).ok());
  Result<Instance> third = Instance::Create(c, m, {});
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(third.status().message().find(
                "pooling allocator: all 2 instance slots are in use"),
            std::string::npos)
      << third.status();
  a.reset();  // frees a slot
  Result<Instance> again = Instance::Create(c, m, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(CallI32(c, *again, "f"), 1);
  // Many sequential stores never run out.
  b.reset();
  for (int i = 0; i < 100; ++i) {
    Store<> s(engine);
    Result<Instance> inst = Instance::Create(s, m, {});
    ASSERT_TRUE(inst.ok()) << i << ": " << inst.status();
  }
}

// Writes everywhere it can, then reports what it saw first.
constexpr std::string_view kMemory = R"(
  (module
    (memory (export "mem") 2)
    (data (i32.const 0) "original")
    (data (i32.const 70000) "second page")
    (global $g (mut i32) (i32.const 5))
    (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "global") (result i32) (global.get $g))
    (func (export "scribble")
      (i32.store (i32.const 0) (i32.const 0x41414141))
      (i32.store (i32.const 70000) (i32.const 0x42424242))
      (i32.store (i32.const 100000) (i32.const 0x43434343))
      (global.set $g (i32.const 99))
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.const 131072) (i32.const 0x44444444))))
)";

void ExpectPristine(StoreOpaque& store, const Instance& inst) {
  EXPECT_EQ(CallI32(store, inst, "peek", {Val::I32(0)}),
            0x6769726f);  // "orig"
  EXPECT_EQ(CallI32(store, inst, "peek", {Val::I32(70000)}),
            0x6f636573);  // "seco"
  EXPECT_EQ(CallI32(store, inst, "peek", {Val::I32(100000)}), 0);
  EXPECT_EQ(CallI32(store, inst, "global"), 5);
  absl::StatusOr<Memory> mem = inst.GetMemory(store, "mem");
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(*mem->size(store), 2u);
  // The page the last instance grew into is out of bounds again.
  absl::StatusOr<Func> peek = inst.GetFunc(store, "peek");
  Result<std::vector<Val>> r = peek->Call(store, {Val::I32(131072)});
  EXPECT_TRUE(r.is_trap());
}

// (linear_memory_keep_resident, lazy_commit)
class PoolResetTest
    : public ::testing::TestWithParam<std::tuple<uint64_t, bool>> {};

TEST_P(PoolResetTest, WritesNeverReachTheNextInstanceOfTheSlot) {
  Config config = PoolingConfig(1);  // one slot: every instance reuses it
  config.pooling.linear_memory_keep_resident = std::get<0>(GetParam());
  config.pooling.lazy_commit = std::get<1>(GetParam());
  Engine engine(config);
  Module m = Compile(engine, kMemory);
  Module other = Compile(engine, R"(
    (module (memory 3) (data (i32.const 8) "zzzz")
      (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "scribble") (i32.store (i32.const 0) (i32.const 7))))
  )");
  for (int round = 0; round < 3; ++round) {
    {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, m, {});
      ASSERT_TRUE(inst.ok()) << inst.status();
      ExpectPristine(store, *inst);
      absl::StatusOr<Func> scribble = inst->GetFunc(store, "scribble");
      ASSERT_TRUE(scribble->Call(store, {}).ok());
      EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(0)}), 0x41414141);
    }
    {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, m, {});
      ASSERT_TRUE(inst.ok()) << inst.status();
      ExpectPristine(store, *inst);
    }
    if (round == 1) {
      // A different module in the same slot: its own image, none of m's.
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, other, {});
      ASSERT_TRUE(inst.ok()) << inst.status();
      EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(0)}), 0);
      EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(8)}), 0x7a7a7a7a);
      EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(70000)}), 0);
      ASSERT_TRUE(inst->GetFunc(store, "scribble")->Call(store, {}).ok());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    KeepResident, PoolResetTest,
    ::testing::Combine(::testing::Values(0, 4096, 65536, 1 << 20),
                       ::testing::Bool()));

// Lazy commit (PoolingAllocationConfig::lazy_commit): pages past
// keep_resident are committed by the fault handler on first touch, from
// wasm, from a builtin and from the host, and a pointer from Memory::data
// works in a system call.
constexpr std::string_view kLazyMemory = R"(
  (module
    (memory (export "mem") 2 4)
    (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))
    (func (export "poke") (param i32 i32)
      (i32.store (local.get 0) (local.get 1)))
    (func (export "fill") (param i32 i32 i32)
      (memory.fill (local.get 0) (local.get 1) (local.get 2)))
    (func (export "grow") (param i32) (result i32)
      (memory.grow (local.get 0))))
)";

TEST(PoolLazyCommitTest, EveryWayInCommitsAndTheNextInstanceSeesZeros) {
  Config config = PoolingConfig(1);
  config.pooling.linear_memory_keep_resident = 4096;
  Engine engine(config);
  Module m = Compile(engine, kLazyMemory);
  for (int round = 0; round < 3; ++round) {
    Store<> store(engine);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    // What the last round wrote is gone, committed or not.
    for (int32_t at : {0, 8192, 70000, 100000, 131068, 190000}) {
      if (at >= 131072) continue;  // past the size again
      EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(at)}), 0)
          << "round " << round << " at " << at;
    }
    absl::StatusOr<Func> poke = inst->GetFunc(store, "poke");
    absl::StatusOr<Func> fill = inst->GetFunc(store, "fill");
    // Wasm: a store, and a memory.fill (a builtin's memset) further on.
    ASSERT_TRUE(poke->Call(store, {Val::I32(8192), Val::I32(11)}).ok());
    ASSERT_TRUE(
        fill->Call(store, {Val::I32(99990), Val::I32(0x5a), Val::I32(20)})
            .ok());
    EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(8192)}), 11);
    EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(100000)}), 0x5a5a5a5a);
    // Out of bounds still traps: the handler commits only below the size.
    EXPECT_TRUE(poke->Call(store, {Val::I32(131072), Val::I32(1)}).is_trap());
    // The host: Write / Read copy without committing everything.
    absl::StatusOr<Memory> mem = inst->GetMemory(store, "mem");
    ASSERT_TRUE(mem.ok());
    const uint8_t bytes[4] = {1, 2, 3, 4};
    ASSERT_TRUE(mem->Write(store, 70000, bytes).ok());
    EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(70000)}), 0x04030201);
    uint8_t back[4] = {};
    ASSERT_TRUE(mem->Read(store, 99990, back).ok());
    EXPECT_EQ(back[0], 0x5a);
    absl::Status past = mem->Write(store, 131070, bytes);
    EXPECT_EQ(past.code(), absl::StatusCode::kOutOfRange);
    EXPECT_NE(past.message().find("4 bytes at offset 131070 do not fit in "
                                  "the memory of 131072 bytes"),
              std::string::npos)
        << past;
    // Grown pages commit on touch too.
    EXPECT_EQ(CallI32(store, *inst, "grow", {Val::I32(1)}), 2);
    ASSERT_TRUE(poke->Call(store, {Val::I32(190000), Val::I32(7)}).ok());
    EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(190000)}), 7);
    // Memory::data commits every page: the kernel can write through it
    // (read(2) into a page nobody touched fails with EFAULT otherwise).
    EXPECT_EQ(CallI32(store, *inst, "grow", {Val::I32(1)}), 3);
    absl::StatusOr<uint8_t*> data = mem->data(store);
    ASSERT_TRUE(data.ok());
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    ASSERT_EQ(write(pipe_fds[1], "kiln", 4), 4);
    EXPECT_EQ(read(pipe_fds[0], *data + 250000, 4), 4) << std::strerror(errno);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(250000)}),
              0x6e6c696b);  // "kiln"
  }
}

TEST(PoolTest, MemoryGrowsUpToTheSlotThenFails) {
  Engine engine(PoolingConfig(1));
  Module m = Compile(engine, R"(
    (module (memory (export "mem") 1)
      (func (export "grow") (param i32) (result i32)
        (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "poke") (param i32)
        (i32.store (local.get 0) (i32.const 1))))
  )");
  for (int round = 0; round < 2; ++round) {
    Store<> store(engine);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(CallI32(store, *inst, "size"), 1);
    EXPECT_EQ(CallI32(store, *inst, "grow", {Val::I32(2)}), 1);
    EXPECT_EQ(CallI32(store, *inst, "grow", {Val::I32(1)}), 3);
    EXPECT_EQ(CallI32(store, *inst, "grow", {Val::I32(1)}), -1);  // 4 max
    EXPECT_EQ(CallI32(store, *inst, "size"), 4);
    absl::StatusOr<Func> poke = inst->GetFunc(store, "poke");
    EXPECT_TRUE(poke->Call(store, {Val::I32(4 * 65536 - 4)}).ok());
    EXPECT_TRUE(poke->Call(store, {Val::I32(4 * 65536)}).is_trap());
    // From the host too.
    absl::StatusOr<Memory> mem = inst->GetMemory(store, "mem");
    EXPECT_FALSE(mem->Grow(store, 1).ok());
  }
}

TEST(PoolTest, ModulesOverTheSlotLimitsAreRejected) {
  Config config = PoolingConfig(2);
  config.pooling.max_tables_per_instance = 1;
  config.pooling.max_instance_size = 4096;
  Engine engine(config);
  Store<> store(engine);
  struct Case {
    std::string wat;
    std::string message;
  };
  std::string many_funcs = "(module";
  for (int i = 0; i < 300; ++i) many_funcs += " (func)";
  many_funcs += ")";
  const Case cases[] = {
      {"(module (memory 5))",
       "pooling allocator: memory 0 has a minimum of 5 pages, above "
       "max_memory_size of 262144 bytes"},
      {"(module (table 101 funcref))",
       "pooling allocator: table 0 has a minimum of 101 elements, above "
       "max_table_elements of 100"},
      {"(module (table 1 funcref) (table 1 funcref))",
       "pooling allocator: the module defines 2 tables, the limit per "
       "instance is 1"},
      // Multi-memory: PoolingConfig allows 2 memories per instance.
      {"(module (memory 1) (memory 1) (memory 1))",
       "pooling allocator: the module defines 3 memories, the limit per "
       "instance is 2"},
      {"(module (memory 1) (memory 5))",
       "pooling allocator: memory 1 has a minimum of 5 pages, above "
       "max_memory_size of 262144 bytes"},
      {many_funcs, "above max_instance_size of 4096"},
  };
  for (const Case& c : cases) {
    Module m = Compile(engine, c.wat);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_FALSE(inst.ok()) << c.wat;
    EXPECT_EQ(inst.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_NE(inst.status().message().find(c.message), std::string::npos)
        << inst.status();
  }
  // A rejected module leaves no slot behind.
  Module ok = Compile(engine, kCounter);
  Store<> s1(engine);
  Store<> s2(engine);
  EXPECT_TRUE(Instance::Create(s1, ok, {}).ok());
  EXPECT_TRUE(Instance::Create(s2, ok, {}).ok());
}

// Multi-memory: each of an instance's memories has its own slot
// reservation, bounds and reset; growing one leaves the other alone, and
// the next instance of the slot sees both fresh.
TEST(PoolTest, TwoMemoriesPerSlotAreSeparateAndReset) {
  Engine engine(PoolingConfig(1));
  Module m = Compile(engine, R"(
    (module
      (memory $a (export "a") 1)
      (memory $b (export "b") 1 4)
      (data (memory $a) (i32.const 0) "A")
      (data (memory $b) (i32.const 0) "B")
      (func (export "load_b") (param i32) (result i32)
        (i32.load8_u $b (local.get 0)))
      (func (export "store_b") (param i32 i32)
        (i32.store8 $b (local.get 0) (local.get 1)))
      (func (export "grow_b") (param i32) (result i32)
        (memory.grow $b (local.get 0)))
      (func (export "size_a") (result i32) (memory.size $a)))
  )");
  for (int round = 0; round < 3; ++round) {
    Store<> store(engine);  // one slot: every round reuses it
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    Memory a = *inst->GetMemory(store, "a");
    Memory b = *inst->GetMemory(store, "b");
    EXPECT_EQ(a.data(store).value()[0], 'A') << round;
    EXPECT_EQ(a.data(store).value()[1], 0) << round;  // written last round
    EXPECT_EQ(b.data(store).value()[0], 'B') << round;
    EXPECT_EQ(*b.size(store), 1u) << round;
    EXPECT_EQ(CallI32(store, *inst, "load_b", {Val::I32(100)}), 0) << round;
    CallI32(store, *inst, "store_b", {Val::I32(100), Val::I32(7)});
    EXPECT_EQ(CallI32(store, *inst, "load_b", {Val::I32(100)}), 7);
    EXPECT_EQ(a.data(store).value()[100], 0);  // memory a is another place
    EXPECT_EQ(CallI32(store, *inst, "grow_b", {Val::I32(3)}), 1);
    EXPECT_EQ(CallI32(store, *inst, "grow_b", {Val::I32(1)}), -1);  // max 4
    EXPECT_EQ(*b.size(store), 4u);
    EXPECT_EQ(CallI32(store, *inst, "size_a"), 1);
    // Past memory b's end: a trap, though memory a's slot is mapped.
    absl::StatusOr<Func> load_b = inst->GetFunc(store, "load_b");
    const std::vector<Val> past_end = {Val::I32(4 * 65536)};
    Result<std::vector<Val>> oob = load_b->Call(store, past_end);
    EXPECT_FALSE(oob.ok());
    a.data(store).value()[1] = 'x';
    b.data(store).value()[3 * 65536] = 'y';
  }
}

// Instantiations that fail half way (a segment traps, a table does not
// fit after the memory was set up) still give their slot back clean.
TEST(PoolTest, FailedInstantiationsReleaseTheirSlot) {
  Engine engine(PoolingConfig(1));
  Module traps = Compile(engine, R"(
    (module (memory 1)
      (data (i32.const 0) "written before the trap")
      (data (i32.const 65530) "past the end"))
  )");
  Module too_big = Compile(engine, R"(
    (module (memory 1) (data (i32.const 0) "x") (table 101 funcref))
  )");
  for (int i = 0; i < 3; ++i) {
    {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, traps, {});
      ASSERT_TRUE(inst.is_trap()) << inst.status();
    }
    {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, too_big, {});
      ASSERT_FALSE(inst.ok());
      EXPECT_NE(inst.status().message().find("max_table_elements"),
                std::string::npos)
          << inst.status();
    }
    Store<> store(engine);
    Module m = Compile(engine, kMemory);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    ExpectPristine(store, *inst);
    // The bytes the trapping module wrote before its trap are gone.
    EXPECT_EQ(CallI32(store, *inst, "peek", {Val::I32(8)}), 0);
  }
}

TEST(PoolTest, OnDemandStaysTheDefault) {
  Engine engine;
  EXPECT_EQ(engine.config().allocation_strategy,
            InstanceAllocationStrategy::kOnDemand);
  Module m = Compile(engine, kMemory);
  std::vector<std::unique_ptr<Store<>>> stores;
  for (int i = 0; i < 20; ++i) {  // no slot limit
    stores.push_back(std::make_unique<Store<>>(engine));
    Result<Instance> inst = Instance::Create(*stores.back(), m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    ExpectPristine(*stores.back(), *inst);
  }
}

TEST(PoolTest, TablesAreResetForTheNextInstance) {
  Engine engine(PoolingConfig(1));
  Module m = Compile(engine, R"(
    (module
      (type $t (func (result i32)))
      (table $t0 (export "t") 4 20 funcref)
      (table $x 3 externref)
      (elem (i32.const 1) $one)
      (elem declare func $two)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func (export "size") (result i32) (table.size $t0))
      (func (export "null_at") (param i32) (result i32)
        (ref.is_null (table.get $t0 (local.get 0))))
      (func (export "ext_null_at") (param i32) (result i32)
        (ref.is_null (table.get $x (local.get 0))))
      (func (export "call") (param i32) (result i32)
        (call_indirect $t0 (type $t) (local.get 0)))
      (func (export "mess") (param externref)
        (table.set $t0 (i32.const 0) (ref.func $two))
        (table.set $t0 (i32.const 1) (ref.null func))
        (drop (table.grow $t0 (ref.func $two) (i32.const 6)))
        (table.set $x (i32.const 2) (local.get 0))))
  )");
  int marker = 0;
  for (int round = 0; round < 3; ++round) {
    Store<> store(engine);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(CallI32(store, *inst, "size"), 4);
    EXPECT_EQ(CallI32(store, *inst, "null_at", {Val::I32(0)}), 1);
    EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(1)}), 1);
    EXPECT_EQ(CallI32(store, *inst, "null_at", {Val::I32(3)}), 1);
    EXPECT_EQ(CallI32(store, *inst, "ext_null_at", {Val::I32(2)}), 1);
    absl::StatusOr<Func> mess = inst->GetFunc(store, "mess");
    ASSERT_TRUE(mess->Call(store, {Val::ExternRef(&marker)}).ok());
    EXPECT_EQ(CallI32(store, *inst, "size"), 10);
    EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(0)}), 2);
    EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(9)}), 2);
    EXPECT_EQ(CallI32(store, *inst, "ext_null_at", {Val::I32(2)}), 0);
  }
}

// A dropped table is reset only up to its highest written slot (the rest
// is known zero): every way of writing a slot past the first page, which
// the reset clears by memset, must raise that mark, or the next instance
// in the slot would see the last one's entries. One way per instance.
TEST(PoolTest, TableSlotsWrittenPastTheFirstPageAreReset) {
  Config config = PoolingConfig(1);
  config.pooling.max_table_elements = 4096;  // 32 KiB of slots
  Engine engine(config);
  Module m = Compile(engine, R"(
    (module
      (type $t (func (result i32)))
      (table $t0 3000 4000 funcref)
      (elem (i32.const 2500) $one)
      (elem $passive func $two)
      (func $one (result i32) (i32.const 1))
      (func $two (result i32) (i32.const 2))
      (func (export "null_at") (param i32) (result i32)
        (ref.is_null (table.get $t0 (local.get 0))))
      (func (export "size") (result i32) (table.size $t0))
      (func (export "call") (param i32) (result i32)
        (call_indirect $t0 (type $t) (local.get 0)))
      (func (export "set") (param i32)
        (table.set $t0 (local.get 0) (ref.func $two)))
      (func (export "fill") (param i32)
        (table.fill $t0 (local.get 0) (ref.func $two) (i32.const 1)))
      (func (export "copy") (param i32)
        (table.copy $t0 $t0 (local.get 0) (i32.const 2500) (i32.const 1)))
      (func (export "init") (param i32)
        (table.init $t0 $passive (local.get 0) (i32.const 0) (i32.const 1)))
      (func (export "grow") (param i32)
        (drop (table.grow $t0 (ref.func $two) (i32.const 500)))))
  )");
  // (write, slot): each leaves a non-null entry at `slot`.
  const std::pair<const char*, int> writes[] = {
      {"set", 2000}, {"fill", 2100}, {"copy", 2200}, {"init", 2300},
      {"grow", 3499}, {"call", 2500}};
  for (const auto& [write, slot] : writes) {
    {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, m, {});
      ASSERT_TRUE(inst.ok()) << inst.status();
      CallI32(store, *inst, write, {Val::I32(slot)});
      EXPECT_EQ(CallI32(store, *inst, "null_at", {Val::I32(slot)}), 0)
          << write;
    }
    Store<> store(engine);
    Result<Instance> inst = Instance::Create(store, m, {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(CallI32(store, *inst, "size"), 3000) << "after " << write;
    if (slot < 3000 && slot != 2500) {
      EXPECT_EQ(CallI32(store, *inst, "null_at", {Val::I32(slot)}), 1)
          << "after " << write;
    }
    // The lazy entry reads as its segment's function again.
    EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(2500)}), 1);
  }
}

// A slot keeps the defined functions' funcrefs for the next instance of
// the same module; imported functions' funcrefs, tables and everything
// else start fresh, and another module in the slot sees none of them.
TEST(PoolTest, FuncrefsAreKeptOnlyForTheSameModule) {
  Engine engine(PoolingConfig(1));
  constexpr std::string_view kWithImport = R"(
    (module
      (type $t (func (result i32)))
      (import "env" "f" (func $imp (result i32)))
      (table 4 funcref)
      (elem (i32.const 0) $imp $own)
      (func $own (result i32) (i32.const 100))
      (func (export "call") (param i32) (result i32)
        (call_indirect (type $t) (local.get 0))))
  )";
  Module m = Compile(engine, kWithImport);
  Module other = Compile(engine, R"(
    (module
      (type $t (func (result i32)))
      (table 4 funcref)
      (elem (i32.const 1) $a $b)
      (func $a (result i32) (i32.const 7))
      (func $b (result i32) (i32.const 8))
      (func (export "call") (param i32) (result i32)
        (call_indirect (type $t) (local.get 0))))
  )");
  FuncType type{{}, {ValType::kI32}};
  for (int round = 0; round < 4; ++round) {
    {
      Store<> store(engine);
      absl::StatusOr<Func> host = Func::New(
          store, type,
          [round](Caller<>&, absl::Span<const Val>, absl::Span<Val> results)
              -> std::optional<Trap> {
            results[0] = Val::I32(round);
            return std::nullopt;
          });
      ASSERT_TRUE(host.ok()) << host.status();
      Result<Instance> inst = Instance::Create(store, m, {Extern(*host)});
      ASSERT_TRUE(inst.ok()) << inst.status();
      EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(0)}), round);
      EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(1)}), 100);
      EXPECT_TRUE(inst->GetFunc(store, "call")
                      ->Call(store, {Val::I32(2)})
                      .is_trap());
    }
    if (round % 2 == 1) {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, other, {});
      ASSERT_TRUE(inst.ok()) << inst.status();
      EXPECT_TRUE(inst->GetFunc(store, "call")
                      ->Call(store, {Val::I32(0)})
                      .is_trap());
      EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(1)}), 7);
      EXPECT_EQ(CallI32(store, *inst, "call", {Val::I32(2)}), 8);
    }
  }
}

// --- Lazy funcref tables, with pooling and on demand.

class LazyTableTest : public ::testing::TestWithParam<bool> {
 protected:
  LazyTableTest()
      : engine_(GetParam() ? PoolingConfig(8) : Config()), store_(engine_) {}
  Instance Instantiate(std::string_view wat) {
    Module m = Compile(engine_, wat);
    Result<Instance> inst = Instance::Create(store_, m, {});
    EXPECT_TRUE(inst.ok()) << inst.status();
    return *inst;
  }
  Engine engine_;
  Store<> store_;
};

constexpr std::string_view kLazy = R"(
  (module
    (type $t (func (result i32)))
    (table $a (export "a") 10 30 funcref)
    (table $b 10 funcref)
    ;; Overlapping active segments: the later one wins at 3 and 4.
    (elem (table $a) (i32.const 2) func $f10 $f11 $f12)
    (elem (table $a) (i32.const 3) func $f20 $f21)
    (elem (table $a) (i32.const 7) funcref (ref.null func) (ref.func $f30))
    (elem $p funcref (ref.func $f40) (ref.func $f41))
    (elem declare func $f50)
    (func $f10 (result i32) (i32.const 10))
    (func $f11 (result i32) (i32.const 11))
    (func $f12 (result i32) (i32.const 12))
    (func $f20 (result i32) (i32.const 20))
    (func $f21 (result i32) (i32.const 21))
    (func $f30 (result i32) (i32.const 30))
    (func $f40 (result i32) (i32.const 40))
    (func $f41 (result i32) (i32.const 41))
    (func $f50 (result i32) (i32.const 50))
    (func (export "call") (param i32) (result i32)
      (call_indirect $a (type $t) (local.get 0)))
    (func (export "call_b") (param i32) (result i32)
      (call_indirect $b (type $t) (local.get 0)))
    (func (export "is_null") (param i32) (result i32)
      (ref.is_null (table.get $a (local.get 0))))
    (func (export "same") (param i32 i32) (result i32)
      ;; table.get of lazy entries gives the function's one funcref: copy
      ;; entry i to $b[0] and compare by calling both.
      (table.set $b (i32.const 0) (table.get $a (local.get 0)))
      (i32.eq (call_indirect $b (type $t) (i32.const 0))
              (call_indirect $a (type $t) (local.get 1))))
    (func (export "copy") (param i32 i32 i32)
      (table.copy $a $a (local.get 0) (local.get 1) (local.get 2)))
    (func (export "copy_to_b") (param i32 i32 i32)
      (table.copy $b $a (local.get 0) (local.get 1) (local.get 2)))
    (func (export "grow") (param i32) (result i32)
      (table.grow $a (ref.func $f50) (local.get 0)))
    (func (export "size") (result i32) (table.size $a))
    (func (export "init") (param i32 i32 i32)
      (table.init $a $p (local.get 0) (local.get 1) (local.get 2)))
    (func (export "drop_p") (elem.drop $p))
    (func (export "fill") (param i32 i32)
      (table.fill $a (local.get 0) (ref.func $f50) (local.get 1))))
)";

TEST_P(LazyTableTest, CallIndirectThroughLazyEntries) {
  Instance inst = Instantiate(kLazy);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(2)}), 10);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(3)}), 20);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(4)}), 21);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(8)}), 30);
  absl::StatusOr<Func> call = inst.GetFunc(store_, "call");
  for (int null_slot : {0, 1, 5, 6, 7, 9}) {
    Result<std::vector<Val>> r = call->Call(store_, {Val::I32(null_slot)});
    ASSERT_TRUE(r.is_trap()) << null_slot;
  }
  EXPECT_TRUE(call->Call(store_, {Val::I32(10)}).is_trap());  // out of bounds
  // Twice: the second read sees the materialized entry.
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(3)}), 20);
}

TEST_P(LazyTableTest, TableGetOfLazyEntries) {
  Instance inst = Instantiate(kLazy);
  EXPECT_EQ(CallI32(store_, inst, "is_null", {Val::I32(0)}), 1);
  EXPECT_EQ(CallI32(store_, inst, "is_null", {Val::I32(2)}), 0);
  EXPECT_EQ(CallI32(store_, inst, "is_null", {Val::I32(7)}), 1);
  EXPECT_EQ(CallI32(store_, inst, "is_null", {Val::I32(8)}), 0);
  EXPECT_EQ(CallI32(store_, inst, "same", {Val::I32(4), Val::I32(4)}), 1);
  EXPECT_EQ(CallI32(store_, inst, "call_b", {Val::I32(0)}), 21);
}

TEST_P(LazyTableTest, TableCopyOfLazyEntries) {
  Instance inst = Instantiate(kLazy);
  absl::StatusOr<Func> copy = inst.GetFunc(store_, "copy");
  // Overlapping copy of never-read entries: [2..5) -> [3..6).
  ASSERT_TRUE(copy->Call(store_, {Val::I32(3), Val::I32(2), Val::I32(3)}).ok());
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(2)}), 10);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(3)}), 10);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(4)}), 20);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(5)}), 21);
  // Into another (non-lazy) table.
  absl::StatusOr<Func> copy_to_b = inst.GetFunc(store_, "copy_to_b");
  ASSERT_TRUE(
      copy_to_b->Call(store_, {Val::I32(0), Val::I32(7), Val::I32(2)}).ok());
  EXPECT_TRUE(inst.GetFunc(store_, "call_b")
                  ->Call(store_, {Val::I32(0)})
                  .is_trap());  // null
  EXPECT_EQ(CallI32(store_, inst, "call_b", {Val::I32(1)}), 30);
  // Out of bounds: no effect, a trap.
  EXPECT_TRUE(
      copy->Call(store_, {Val::I32(8), Val::I32(0), Val::I32(3)}).is_trap());
}

TEST_P(LazyTableTest, TableGrowAndFillOfALazyTable) {
  Instance inst = Instantiate(kLazy);
  EXPECT_EQ(CallI32(store_, inst, "grow", {Val::I32(5)}), 10);
  EXPECT_EQ(CallI32(store_, inst, "size"), 15);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(12)}), 50);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(3)}), 20);  // still lazy
  EXPECT_EQ(CallI32(store_, inst, "grow", {Val::I32(100)}), -1);
  absl::StatusOr<Func> fill = inst.GetFunc(store_, "fill");
  ASSERT_TRUE(fill->Call(store_, {Val::I32(2), Val::I32(2)}).ok());
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(2)}), 50);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(3)}), 50);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(4)}), 21);
}

TEST_P(LazyTableTest, PassiveSegmentsAndElemDrop) {
  Instance inst = Instantiate(kLazy);
  absl::StatusOr<Func> init = inst.GetFunc(store_, "init");
  ASSERT_TRUE(init->Call(store_, {Val::I32(0), Val::I32(0), Val::I32(2)}).ok());
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(0)}), 40);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(1)}), 41);
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(2)}), 10);
  ASSERT_TRUE(inst.GetFunc(store_, "drop_p")->Call(store_, {}).ok());
  EXPECT_TRUE(
      init->Call(store_, {Val::I32(0), Val::I32(0), Val::I32(1)}).is_trap());
  // Length 0 at the end is still fine after the drop.
  EXPECT_TRUE(init->Call(store_, {Val::I32(0), Val::I32(0), Val::I32(0)}).ok());
}

TEST_P(LazyTableTest, ExportedTableFromTheHost) {
  Instance inst = Instantiate(kLazy);
  absl::StatusOr<Table> table = inst.GetTable(store_, "a");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(*table->size(store_), 10u);
  // Nothing was materialized at instantiation: every slot is raw 0
  // ("uninitialised") until something reads it.
  ASSERT_TRUE(table->raw()->lazy());
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(table->raw()->raw_slot(i), 0u);
  absl::StatusOr<Val> v0 = table->Get(store_, 0);
  ASSERT_TRUE(v0.ok());
  EXPECT_TRUE(v0->is_null_ref());
  absl::StatusOr<Val> v3 = table->Get(store_, 3);
  ASSERT_TRUE(v3.ok());
  ASSERT_FALSE(v3->is_null_ref());
  std::optional<Func> f = v3->funcref();
  ASSERT_TRUE(f.has_value());
  Result<std::vector<Val>> r = f->Call(store_, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].i32(), 20);
  EXPECT_FALSE(table->Get(store_, 10).ok());
  EXPECT_NE(table->raw()->raw_slot(3), 0u);  // read, so materialized
  EXPECT_EQ(table->raw()->raw_slot(4), 0u);  // never read
  // The host's write is what wasm sees.
  absl::StatusOr<Val> v8 = table->Get(store_, 8);
  ASSERT_TRUE(table->Set(store_, 2, *v8).ok());
  EXPECT_EQ(CallI32(store_, inst, "call", {Val::I32(2)}), 30);
  // Growing from the host.
  absl::StatusOr<uint32_t> old = table->Grow(store_, 2, Val::NullFuncRef());
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(*old, 10u);
  EXPECT_EQ(CallI32(store_, inst, "is_null", {Val::I32(11)}), 1);
}

TEST_P(LazyTableTest, ImportedLazyTableIsReadThroughTheImporter) {
  Module exporter = Compile(engine_, kLazy);
  Result<Instance> a = Instance::Create(store_, exporter, {});
  ASSERT_TRUE(a.ok()) << a.status();
  Module importer = Compile(engine_, R"(
    (module
      (type $t (func (result i32)))
      (import "m" "a" (table 10 funcref))
      (func (export "call") (param i32) (result i32)
        (call_indirect (type $t) (local.get 0))))
  )");
  absl::StatusOr<Table> t = a->GetTable(store_, "a");
  Result<Instance> b = Instance::Create(store_, importer, {Extern(*t)});
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(CallI32(store_, *b, "call", {Val::I32(4)}), 21);
  EXPECT_EQ(CallI32(store_, *b, "call", {Val::I32(8)}), 30);
}

INSTANTIATE_TEST_SUITE_P(Allocators, LazyTableTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Pooling" : "OnDemand";
                         });

// Two threads instantiate from one engine and module into their own
// stores, over and over, on a pool smaller than the number of
// instantiations; every instance starts pristine.
TEST(PoolTest, TwoThreadsShareThePool) {
  Engine engine(PoolingConfig(3));
  Module m = Compile(engine, kMemory);
  std::atomic<int> failures{0};
  auto work = [&] {
    for (int i = 0; i < 200; ++i) {
      Store<> store(engine);
      Result<Instance> inst = Instance::Create(store, m, {});
      if (!inst.ok()) {
        ++failures;
        continue;
      }
      absl::StatusOr<Func> peek = inst->GetFunc(store, "peek");
      Result<std::vector<Val>> r = peek->Call(store, {Val::I32(0)});
      if (!r.ok() || (*r)[0].i32() != 0x6769726f) ++failures;
      if (!inst->GetFunc(store, "scribble")->Call(store, {}).ok()) ++failures;
    }
  };
  std::thread t1(work);
  std::thread t2(work);
  t1.join();
  t2.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace kiln
