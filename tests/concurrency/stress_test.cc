// Shared Engine / Module / Linker / InstancePre, one store per thread.
//
// What is shared: the engine (signature registry, trampolines, the pool),
// the modules (code, the copy-on-write memory image, built lazily by the
// first instantiation -- here several threads race for it), the Linker's
// engine-owned host functions and one InstancePre. What is per thread: the
// stores, their limiters and everything instantiated in them. Each thread
// checks every result, so a data race that corrupts state shows up as a
// failure even without ThreadSanitizer.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"

namespace kiln {
namespace {

// KILN_STRESS_THREADS / KILN_STRESS_SECONDS override (e.g. 1 vs 2 threads
// to see how a store's life scales).
int Threads() {
  const char* s = std::getenv("KILN_STRESS_THREADS");
  return s != nullptr && std::atoi(s) > 0 ? std::atoi(s) : 6;
}

double SecondsPerTest() {
  const char* s = std::getenv("KILN_STRESS_SECONDS");
  return s != nullptr ? std::atof(s) : 0.3;
}

// A module with a data segment (imaged), a funcref table, host imports, a
// start-free body, memory.grow and a trap.
std::string ModuleText(int variant) {
  return absl::StrCat(R"(
    (module
      (import "host" "add" (func $add (param i32) (result i32)))
      (import "host" "twice" (func $twice (param i32) (result i32)))
      (memory (export "mem") 1 8)
      (data (i32.const 64) "variant-)",
                      variant, R"(")
      (table 4 funcref)
      (elem (i32.const 0) $f0 $f1 $f2 $f3)
      (type $t (func (param i32) (result i32)))
      (func $f0 (param i32) (result i32) (i32.add (local.get 0) (i32.const 0)))
      (func $f1 (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $f2 (param i32) (result i32) (i32.add (local.get 0) (i32.const 2)))
      (func $f3 (param i32) (result i32) (i32.add (local.get 0) (i32.const 3)))
      (func (export "run") (param i32) (result i32)
        ;; host add, host twice, an indirect call, and a store to memory
        (i32.store8 (i32.const 64) (i32.const 88))
        (call_indirect (type $t)
          (call $twice (call $add (local.get 0)))
          (i32.and (local.get 0) (i32.const 3))))
      (func (export "byte") (param i32) (result i32)
        (i32.load8_u (local.get 0)))
      (func (export "grow") (param i32) (result i32)
        (memory.grow (local.get 0)))
      (func (export "boom") (unreachable)))
  )");
}

struct Data {
  int64_t sum = 0;
  StoreLimits limits = StoreLimitsBuilder().MemorySize(4 * 65536).Build();
};

Linker<Data> MakeLinker(const Engine& engine) {
  Linker<Data> linker(engine);
  absl::Status s = linker.FuncWrap("host", "add",
                                   [](Caller<Data>& c, int32_t x) {
                                     c.data().sum += x;
                                     return x + 1;
                                   });
  EXPECT_TRUE(s.ok()) << s;
  s = linker.FuncNew(
      "host", "twice", FuncType{{ValType::kI32}, {ValType::kI32}},
      [](Caller<Data>&, absl::Span<const Val> p, absl::Span<Val> r) {
        r[0] = Val::I32(p[0].i32() * 2);
        return absl::OkStatus();
      });
  EXPECT_TRUE(s.ok()) << s;
  return linker;
}

// One store's life: instantiate (through `pre` or the linker), check the
// image, call, grow under the store's limit, trap, drop. Returns the
// number of failed checks.
int OneStore(const Engine& engine, const Linker<Data>& linker,
             const Module& module, const InstancePre<Data>* pre, int variant,
             int k) {
  int failures = 0;
  Store<Data> store(engine, Data{});
  store.SetLimiter([](Data& d) -> ResourceLimiter& { return d.limits; });
  Result<Instance> inst =
      pre != nullptr ? pre->Instantiate(store) : linker.Instantiate(store, module);
  if (!inst.ok()) {
    std::fprintf(stderr, "instantiate: %s\n", inst.status().ToString().c_str());
    return 1;
  }
  auto run = inst->GetTypedFunc<int32_t(int32_t)>(store, "run");
  auto byte = inst->GetTypedFunc<int32_t(int32_t)>(store, "byte");
  auto grow = inst->GetTypedFunc<int32_t(int32_t)>(store, "grow");
  auto boom = inst->GetTypedFunc<void()>(store, "boom");
  if (!run.ok() || !byte.ok() || !grow.ok() || !boom.ok()) return 1;
  // The image, untouched by every other instance's store of 'X' at 64.
  const std::string want = absl::StrCat("variant-", variant);
  for (size_t i = 0; i < want.size(); ++i) {
    Result<int32_t> b = byte->Call(store, static_cast<int32_t>(64 + i));
    if (!b.ok() || *b != static_cast<uint8_t>(want[i])) ++failures;
  }
  const int32_t x = k & 0xffff;
  Result<int32_t> r = run->Call(store, x);
  // twice(add(x)) = 2x + 2, then + (x & 3) by the indirect call.
  if (!r.ok() || *r != 2 * x + 2 + (x & 3)) ++failures;
  if (store.data().sum != x) ++failures;
  if (*byte->Call(store, 64) != 88) ++failures;
  // 1 page + 3 = 4 pages = the limit; one more is refused.
  if (*grow->Call(store, 3) != 1) ++failures;
  if (*grow->Call(store, 1) != -1) ++failures;
  Result<void> t = boom->Call(store);
  if (!t.is_trap() || t.trap().code() != TrapCode::kUnreachableCodeReached) {
    ++failures;
  }
  // Usable after the trap.
  Result<int32_t> again = run->Call(store, 1);
  if (!again.ok() || *again != 5) ++failures;
  return failures;
}

struct Totals {
  std::atomic<int> failures{0};
  std::atomic<int64_t> stores{0};
};

void RunThreads(const std::function<int(int thread, int k)>& body,
                Totals& totals) {
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::duration<double>(SecondsPerTest());
  std::vector<std::thread> threads;
  for (int t = 0; t < Threads(); ++t) {
    threads.emplace_back([&, t] {
      int k = 0;
      // At least a few rounds each, however slow the machine (TSan).
      while (k < 3 || std::chrono::steady_clock::now() < deadline) {
        totals.failures += body(t, k);
        ++totals.stores;
        ++k;
      }
    });
  }
  for (std::thread& th : threads) th.join();
}

class StressTest : public ::testing::TestWithParam<bool> {
 protected:
  static Config MakeConfig() {
    Config c;
    if (GetParam()) {
      c.allocation_strategy = InstanceAllocationStrategy::kPooling;
      c.pooling.total_instances = 64;
    }
    return c;
  }
};

// Modules compiled up front; their images are built by whichever thread
// instantiates first (all of them at once, at the start).
TEST_P(StressTest, SharedModulesLinkerAndInstancePre) {
  Engine engine(MakeConfig());
  Linker<Data> linker = MakeLinker(engine);
  constexpr int kModules = 3;
  std::vector<Module> modules;
  for (int v = 0; v < kModules; ++v) {
    absl::StatusOr<Module> m = Module::FromWat(engine, ModuleText(v));
    ASSERT_TRUE(m.ok()) << m.status();
    modules.push_back(*m);
  }
  Store<Data> first(engine, Data{});
  absl::StatusOr<InstancePre<Data>> pre =
      linker.InstantiatePre(first, modules[0]);
  ASSERT_TRUE(pre.ok()) << pre.status();
  Totals totals;
  RunThreads(
      [&](int t, int k) {
        const int v = (t + k) % kModules;
        const InstancePre<Data>* p = (v == 0 && k % 2 == 0) ? &*pre : nullptr;
        return OneStore(engine, linker, modules[v], p, v, k * Threads() + t);
      },
      totals);
  EXPECT_EQ(totals.failures.load(), 0);
  std::printf("%s: %lld stores on %d threads\n",
              GetParam() ? "pooling" : "on-demand",
              static_cast<long long>(totals.stores.load()), Threads());
}

// Compiling (signature interning, code registration), serializing and
// deserializing on some threads while others instantiate and call.
TEST_P(StressTest, CompileWhileInstantiating) {
  Engine engine(MakeConfig());
  Linker<Data> linker = MakeLinker(engine);
  absl::StatusOr<Module> shared = Module::FromWat(engine, ModuleText(7));
  ASSERT_TRUE(shared.ok()) << shared.status();
  Totals totals;
  RunThreads(
      [&](int t, int k) {
        if (t % 3 != 0) {
          return OneStore(engine, linker, *shared, nullptr, 7, k * Threads() + t);
        }
        // A new module each time (dropped at the end: code unregistered
        // while other threads look up trap sites).
        const int v = 100 + t * 1000 + k;
        absl::StatusOr<Module> m = Module::FromWat(engine, ModuleText(v));
        if (!m.ok()) return 1;
        absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
        if (!bytes.ok()) return 1;
        absl::StatusOr<Module> back = Module::Deserialize(engine, *bytes);
        if (!back.ok()) return 1;
        return OneStore(engine, linker, *back, nullptr, v, k);
      },
      totals);
  EXPECT_EQ(totals.failures.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Allocators, StressTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Pooling" : "OnDemand";
                         });

}  // namespace
}  // namespace kiln
