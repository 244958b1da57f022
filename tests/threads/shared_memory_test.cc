// Threads: kiln::SharedMemory imported into stores on several threads,
// atomics visible across them, memory.atomic.wait / notify (wake counts,
// timeouts, not-equal), alignment traps, import matching and the pooling
// allocator's refusal of defined shared memories.
#include "engine/shared_memory.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "tests/util/typed_export.h"

namespace kiln {
namespace {

constexpr char kCounterWat[] = R"(
  (module
    (import "env" "memory" (memory 1 4 shared))
    ;; Adds 1 to the i32 at `addr` n times, atomically.
    (func (export "add") (param $addr i32) (param $n i32)
      (loop $l
        (drop (i32.atomic.rmw.add (local.get $addr) (i32.const 1)))
        (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
    (func (export "load") (param i32) (result i32)
      (i32.atomic.load (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "wait") (param i32 i32 i64) (result i32)
      (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
    (func (export "wait64") (param i32 i64 i64) (result i32)
      (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
    (func (export "notify") (param i32 i32) (result i32)
      (memory.atomic.notify (local.get 0) (local.get 1)))
    (func (export "store_notify") (param i32 i32) (result i32)
      (i32.atomic.store (local.get 0) (local.get 1))
      (memory.atomic.notify (local.get 0) (i32.const 1)))
    (func (export "unaligned") (param i32) (result i32)
      (i32.atomic.rmw.add (local.get 0) (i32.const 1))))
)";

MemoryType SharedType(uint32_t min, uint32_t max) {
  MemoryType t;
  t.limits = {min, max};
  t.shared = true;
  return t;
}

// One store on the calling thread with an instance of kCounterWat over
// `memory`.
struct Thread {
  Thread(const Engine& engine, const Module& module, const SharedMemory& memory)
      : store(engine) {
    absl::StatusOr<Memory> m = memory.ToMemory(store);
    EXPECT_TRUE(m.ok()) << m.status();
    Result<Instance> i = Instance::Create(store, module, {Extern(*m)});
    EXPECT_TRUE(i.ok()) << i.status();
    if (i.ok()) instance.emplace(*i);
  }
  template <typename Sig>
  TypedFunc<Sig> F(const char* name) {
    return test_util::TypedExport<Sig>(store, *instance, name);
  }
  Store<> store;
  std::optional<Instance> instance;
};

// An engine, kCounterWat compiled, and a SharedMemory of 1 page (at most
// `max_pages`). Tests take plain references to the members, not a
// structured binding: their lambdas capture them, which clang before 16
// (scripts/tsan_test.sh) cannot do for structured bindings.
struct Counter {
  explicit Counter(uint32_t max_pages)
      : module(Module::FromWat(engine, kCounterWat)),
        memory(SharedMemory::New(engine, SharedType(1, max_pages))) {
    EXPECT_TRUE(module.ok()) << module.status();
    EXPECT_TRUE(memory.ok()) << memory.status();
  }
  bool ok() const { return module.ok() && memory.ok(); }
  Engine engine;
  absl::StatusOr<Module> module;
  absl::StatusOr<SharedMemory> memory;
};

TEST(SharedMemoryTest, NewChecksTheType) {
  Engine engine;
  MemoryType unshared;
  unshared.limits = {1, 2};
  EXPECT_FALSE(SharedMemory::New(engine, unshared).ok());
  MemoryType no_max;
  no_max.limits = {1, std::nullopt};
  no_max.shared = true;
  absl::StatusOr<SharedMemory> m = SharedMemory::New(engine, no_max);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(absl::StrContains(m.status().message(), "must have maximum"));
  Config config;
  config.wasm_features.threads = false;
  Engine no_threads(config);
  EXPECT_FALSE(SharedMemory::New(no_threads, SharedType(1, 2)).ok());
  // A shared 64-bit memory is not implemented: a clear error, not a
  // 32-bit memory behind a 64-bit type.
  MemoryType shared64 = SharedType(1, 2);
  shared64.is64 = true;
  absl::StatusOr<SharedMemory> m64 = SharedMemory::New(engine, shared64);
  ASSERT_FALSE(m64.ok());
  EXPECT_TRUE(absl::IsUnimplemented(m64.status())) << m64.status();
}

// Memory::New follows the engine's features like the validator: a shared
// type needs threads, a 64-bit type memory64.
TEST(SharedMemoryTest, MemoryNewChecksTheFeatures) {
  Config config;
  config.wasm_features.threads = false;
  config.wasm_features.memory64 = false;
  Engine engine(config);
  Store<> store(engine);
  absl::StatusOr<Memory> shared = Memory::New(store, SharedType(1, 2));
  ASSERT_FALSE(shared.ok());
  EXPECT_TRUE(absl::StrContains(shared.status().message(),
                                "Config::wasm_features.threads"))
      << shared.status();
  MemoryType wide;
  wide.limits = {1, 2};
  wide.is64 = true;
  absl::StatusOr<Memory> m64 = Memory::New(store, wide);
  ASSERT_FALSE(m64.ok());
  EXPECT_TRUE(absl::StrContains(m64.status().message(),
                                "Config::wasm_features.memory64"))
      << m64.status();
  MemoryType plain;
  plain.limits = {1, 2};
  EXPECT_TRUE(Memory::New(store, plain).ok());
  // With the features on (the default) both are accepted.
  Engine all;
  Store<> store2(all);
  EXPECT_TRUE(Memory::New(store2, SharedType(1, 2)).ok());
  EXPECT_TRUE(Memory::New(store2, wide).ok());
}

// Two stores on two threads import one SharedMemory; each adds 1 a
// million times with i32.atomic.rmw.add: no increment is lost, and both
// stores and the embedder see the same bytes.
TEST(SharedMemoryTest, AtomicsAcrossTwoStoresOnTwoThreads) {
  Counter c(4);
  ASSERT_TRUE(c.ok());
  Engine& engine = c.engine;
  absl::StatusOr<Module>& module = c.module;
  absl::StatusOr<SharedMemory>& memory = c.memory;
  constexpr int32_t kN = 1'000'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      Thread th(engine, *module, *memory);
      Result<void> r = th.F<void(int32_t, int32_t)>("add").Call(th.store, 16, kN);
      EXPECT_TRUE(r.ok()) << r.status();
    });
  }
  for (std::thread& t : threads) t.join();
  int32_t v;
  std::memcpy(&v, memory->data() + 16, 4);
  EXPECT_EQ(v, 2 * kN);
  Thread reader(engine, *module, *memory);
  EXPECT_EQ(*reader.F<int32_t(int32_t)>("load").Call(reader.store, 16), 2 * kN);
}

// Growth from the embedder on one thread is seen by memory.size in another
// store; the base never moves.
TEST(SharedMemoryTest, GrowIsVisibleToEveryStore) {
  Counter c(4);
  ASSERT_TRUE(c.ok());
  Engine& engine = c.engine;
  absl::StatusOr<Module>& module = c.module;
  absl::StatusOr<SharedMemory>& memory = c.memory;
  uint8_t* base = memory->data();
  Thread a(engine, *module, *memory);
  std::thread([&] { EXPECT_EQ(*memory->Grow(2), 1u); }).join();
  EXPECT_EQ(*a.F<int32_t()>("size").Call(a.store), 3);
  EXPECT_EQ(memory->data(), base);
  EXPECT_EQ(memory->type().limits.min, 3u);
  EXPECT_FALSE(memory->Grow(2).ok());  // above the maximum of 4
  // Memory handles of the store report the shared type.
  absl::StatusOr<Memory> m = memory->ToMemory(a.store);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->type(a.store)->shared);
}

TEST(SharedMemoryTest, WaitResultsAndTimeouts) {
  Counter c(1);
  ASSERT_TRUE(c.ok());
  Engine& engine = c.engine;
  absl::StatusOr<Module>& module = c.module;
  absl::StatusOr<SharedMemory>& memory = c.memory;
  Thread t(engine, *module, *memory);
  auto wait = t.F<int32_t(int32_t, int32_t, int64_t)>("wait");
  auto wait64 = t.F<int32_t(int32_t, int64_t, int64_t)>("wait64");
  auto notify = t.F<int32_t(int32_t, int32_t)>("notify");
  // Not equal: 1 at once, whatever the timeout.
  EXPECT_EQ(*wait.Call(t.store, 0, 5, -1), 1);
  EXPECT_EQ(*wait64.Call(t.store, 8, 5, -1), 1);
  // Equal: times out (2) after about the timeout.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(*wait.Call(t.store, 0, 0, 20'000'000), 2);
  EXPECT_GE(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(20));
  EXPECT_EQ(*wait64.Call(t.store, 8, 0, 0), 2);
  // Nobody waits: notify wakes 0.
  EXPECT_EQ(*notify.Call(t.store, 0, 10), 0);
  // Bounds and alignment are checked (traps).
  Result<int32_t> oob = wait.Call(t.store, 65536, 0, 0);
  ASSERT_TRUE(oob.is_trap());
  EXPECT_EQ(oob.trap().code(), TrapCode::kMemoryOutOfBounds);
  Result<int32_t> odd = notify.Call(t.store, 2, 1);
  ASSERT_TRUE(odd.is_trap());
  EXPECT_EQ(odd.trap().code(), TrapCode::kHeapMisaligned);
}

// Three threads wait at one address; notify(2) wakes two of them and
// returns 2, notify(10) the last one and returns 1.
TEST(SharedMemoryTest, NotifyWakeCounts) {
  Counter c(1);
  ASSERT_TRUE(c.ok());
  Engine& engine = c.engine;
  absl::StatusOr<Module>& module = c.module;
  absl::StatusOr<SharedMemory>& memory = c.memory;
  constexpr int kWaiters = 3;
  std::atomic<int> woken{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < kWaiters; ++k) {
    threads.emplace_back([&] {
      Thread t(engine, *module, *memory);
      Result<int32_t> r =
          t.F<int32_t(int32_t, int32_t, int64_t)>("wait").Call(t.store, 32, 0, -1);
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok() && *r == 0) woken.fetch_add(1);
    });
  }
  const uintptr_t key = reinterpret_cast<uintptr_t>(memory->data() + 32);
  while (memory->raw()->parking_lot()->NumParked(key) != kWaiters) {
    std::this_thread::yield();
  }
  Thread n(engine, *module, *memory);
  auto notify = n.F<int32_t(int32_t, int32_t)>("notify");
  EXPECT_EQ(*notify.Call(n.store, 32, 2), 2);
  EXPECT_EQ(*notify.Call(n.store, 32, 10), 1);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(woken.load(), kWaiters);
}

// A waiter in one store, woken by another store's atomic store + notify.
TEST(SharedMemoryTest, WaitNotifyAcrossStores) {
  Counter c(1);
  ASSERT_TRUE(c.ok());
  Engine& engine = c.engine;
  absl::StatusOr<Module>& module = c.module;
  absl::StatusOr<SharedMemory>& memory = c.memory;
  std::thread waiter([&] {
    Thread t(engine, *module, *memory);
    auto wait = t.F<int32_t(int32_t, int32_t, int64_t)>("wait");
    // Until the value changes from 0: a wake-up (0) or, if the store came
    // first, not-equal (1).
    int32_t r = *wait.Call(t.store, 64, 0, -1);
    EXPECT_TRUE(r == 0 || r == 1) << r;
    EXPECT_EQ(*t.F<int32_t(int32_t)>("load").Call(t.store, 64), 7);
  });
  Thread n(engine, *module, *memory);
  EXPECT_GE(*n.F<int32_t(int32_t, int32_t)>("store_notify").Call(n.store, 64, 7), 0);
  waiter.join();
}

TEST(SharedMemoryTest, UnalignedAtomicTraps) {
  Counter c(1);
  ASSERT_TRUE(c.ok());
  Engine& engine = c.engine;
  absl::StatusOr<Module>& module = c.module;
  absl::StatusOr<SharedMemory>& memory = c.memory;
  Thread t(engine, *module, *memory);
  Result<int32_t> r = t.F<int32_t(int32_t)>("unaligned").Call(t.store, 6);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kHeapMisaligned);
  EXPECT_TRUE(absl::StrContains(r.trap().message(), "unaligned atomic"))
      << r.trap().message();
  EXPECT_EQ(*t.F<int32_t(int32_t)>("unaligned").Call(t.store, 8), 0);
}

// On an unshared memory: wait traps, notify returns 0, atomics work.
TEST(SharedMemoryTest, UnsharedMemory) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, R"(
    (module
      (memory 1 1)
      (func (export "wait") (result i32)
        (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))
      (func (export "notify") (result i32)
        (memory.atomic.notify (i32.const 0) (i32.const 1)))
      (func (export "cas") (result i64)
        (drop (i64.atomic.rmw.cmpxchg (i32.const 8) (i64.const 0) (i64.const -1)))
        (i64.atomic.load (i32.const 8))))
  )");
  ASSERT_TRUE(module.ok()) << module.status();
  Store<> store(engine);
  Result<Instance> i = Instance::Create(store, *module, {});
  ASSERT_TRUE(i.ok());
  Result<int32_t> w = i->GetTypedFunc<int32_t()>(store, "wait")->Call(store);
  ASSERT_TRUE(w.is_trap());
  EXPECT_EQ(w.trap().code(), TrapCode::kAtomicWaitNonSharedMemory);
  EXPECT_EQ(*i->GetTypedFunc<int32_t()>(store, "notify")->Call(store), 0);
  EXPECT_EQ(*i->GetTypedFunc<int64_t()>(store, "cas")->Call(store), -1);
}

// Shared and unshared memories never match each other as imports.
TEST(SharedMemoryTest, ImportTypeMustMatchSharedness) {
  Engine engine;
  absl::StatusOr<Module> wants_unshared = Module::FromWat(engine, R"(
    (module (import "env" "memory" (memory 1 4))))");
  ASSERT_TRUE(wants_unshared.ok());
  absl::StatusOr<SharedMemory> shared = SharedMemory::New(engine, SharedType(1, 4));
  ASSERT_TRUE(shared.ok());
  Store<> store(engine);
  Result<Instance> i1 =
      Instance::Create(store, *wants_unshared, {Extern(*shared->ToMemory(store))});
  ASSERT_FALSE(i1.ok());
  EXPECT_TRUE(absl::StrContains(i1.status().message(), "incompatible import type"))
      << i1.status();
  EXPECT_TRUE(absl::StrContains(i1.status().message(), "shared")) << i1.status();

  absl::StatusOr<Module> wants_shared = Module::FromWat(engine, R"(
    (module (import "env" "memory" (memory 1 4 shared))))");
  ASSERT_TRUE(wants_shared.ok());
  MemoryType unshared;
  unshared.limits = {1, 4};
  absl::StatusOr<Memory> plain = Memory::New(store, unshared);
  ASSERT_TRUE(plain.ok());
  Result<Instance> i2 = Instance::Create(store, *wants_shared, {Extern(*plain)});
  ASSERT_FALSE(i2.ok());
  EXPECT_TRUE(absl::StrContains(i2.status().message(), "incompatible import type"));
}

// The pooling allocator refuses a defined shared memory (a slot is reset
// for reuse) and takes an imported SharedMemory.
TEST(SharedMemoryTest, PoolingAllocator) {
  Config config;
  config.allocation_strategy = InstanceAllocationStrategy::kPooling;
  config.pooling.total_instances = 4;
  Engine engine(config);
  absl::StatusOr<Module> defines = Module::FromWat(engine, R"(
    (module (memory 1 1 shared)))");
  ASSERT_TRUE(defines.ok());
  Store<> store(engine);
  Result<Instance> i = Instance::Create(store, *defines, {});
  ASSERT_FALSE(i.ok());
  EXPECT_TRUE(absl::StrContains(i.status().message(), "shared memories cannot live in a pool slot"))
      << i.status();
  absl::StatusOr<Module> counter = Module::FromWat(engine, kCounterWat);
  ASSERT_TRUE(counter.ok());
  absl::StatusOr<SharedMemory> memory = SharedMemory::New(engine, SharedType(1, 4));
  ASSERT_TRUE(memory.ok());
  Thread t(engine, *counter, *memory);
  EXPECT_TRUE(t.F<void(int32_t, int32_t)>("add").Call(t.store, 0, 3).ok());
  EXPECT_EQ(*t.F<int32_t(int32_t)>("load").Call(t.store, 0), 3);
}

// The store keeps the memory alive after the last handle is gone.
TEST(SharedMemoryTest, StoreKeepsItAlive) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, kCounterWat);
  ASSERT_TRUE(module.ok());
  std::optional<Thread> t;
  {
    absl::StatusOr<SharedMemory> memory = SharedMemory::New(engine, SharedType(1, 1));
    ASSERT_TRUE(memory.ok());
    t.emplace(engine, *module, *memory);
  }
  EXPECT_TRUE(t->F<void(int32_t, int32_t)>("add").Call(t->store, 0, 5).ok());
  EXPECT_EQ(*t->F<int32_t(int32_t)>("load").Call(t->store, 0), 5);
}

}  // namespace
}  // namespace kiln
