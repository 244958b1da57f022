// One Linker (built once, then only read) instantiating a module into
// fresh stores on two threads at once; each store calls wasm, which calls
// the Linker's engine-owned host functions (FuncWrap and FuncNew) with the
// store's own data. Built twice: normally and with -fsanitize=thread.
#include <atomic>
#include <thread>
#include <vector>

#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"

namespace kiln {
namespace {

TEST(LinkerThreadsTest, OneLinkerTwoThreads) {
  Engine engine;
  Linker<int64_t> linker(engine);
  ASSERT_TRUE(linker
                  .FuncWrap("host", "add",
                            [](Caller<int64_t>& c, int32_t x) {
                              c.data() += x;
                              return x + 1;
                            })
                  .ok());
  ASSERT_TRUE(linker
                  .FuncNew("host", "twice", FuncType{{ValType::kI32}, {ValType::kI32}},
                           [](Caller<int64_t>&, absl::Span<const Val> p, absl::Span<Val> r) {
                             r[0] = Val::I32(p[0].i32() * 2);
                             return absl::OkStatus();
                           })
                  .ok());
  absl::StatusOr<Module> module = Module::FromWat(engine, R"(
    (module
      (import "host" "add" (func $add (param i32) (result i32)))
      (import "host" "twice" (func $twice (param i32) (result i32)))
      (memory 1)
      (data (i32.const 0) "abc")
      (func (export "run") (param i32) (result i32)
        (call $twice (call $add (local.get 0)))))
  )");
  ASSERT_TRUE(module.ok()) << module.status();
  constexpr int kThreads = 2;
  constexpr int kStoresPerThread = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kStoresPerThread; ++i) {
        Store<int64_t> store(engine, 0);
        Result<Instance> inst = linker.Instantiate(store, *module);
        if (!inst.ok()) {
          ++failures;
          continue;
        }
        auto run = inst->GetTypedFunc<int32_t(int32_t)>(store, "run");
        if (!run.ok()) {
          ++failures;
          continue;
        }
        for (int k = 1; k <= 10; ++k) {
          Result<int32_t> r = run->Call(store, k + t);
          if (!r.ok() || *r != 2 * (k + t + 1)) ++failures;
        }
        int64_t want = 0;
        for (int k = 1; k <= 10; ++k) want += k + t;
        if (store.data() != want) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(LinkerThreadsTest, InstancePreOnTwoThreads) {
  Engine engine;
  Linker<> linker(engine);
  ASSERT_TRUE(linker.FuncWrap("host", "one", [] { return int32_t{1}; }).ok());
  absl::StatusOr<Module> module = Module::FromWat(engine, R"(
    (module (import "host" "one" (func $one (result i32)))
      (func (export "run") (result i32) (i32.add (call $one) (call $one))))
  )");
  ASSERT_TRUE(module.ok());
  Store<> first(engine);
  absl::StatusOr<InstancePre<>> pre = linker.InstantiatePre(first, *module);
  ASSERT_TRUE(pre.ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        Store<> store(engine);
        Result<Instance> inst = pre->Instantiate(store);
        if (!inst.ok()) {
          ++failures;
          continue;
        }
        auto run = inst->GetTypedFunc<int32_t()>(store, "run");
        if (!run.ok() || *run->Call(store) != 2) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace kiln
