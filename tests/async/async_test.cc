// Async calls through the embedding API: wasm on fibers (nesting across
// suspensions, traps, stack overflow, pooled stacks, many suspended calls),
// every async entry point, epoch yields, and the mixing rules.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"

namespace kiln {
namespace {

constexpr std::string_view kWat = R"(
  (module
    (import "host" "wait" (func $wait (param i32) (result i32)))
    (import "host" "reenter" (func $reenter (param i32) (result i32)))
    ;; waits on the async host function, adds 1
    (func $wait_add1 (export "wait_add1") (param i32) (result i32)
      (i32.add (call $wait (local.get 0)) (i32.const 1)))
    ;; wasm -> host (sync, calls "inner" back) -> wasm -> async host
    (func $outer (export "outer") (param i32) (result i32)
      (i32.mul (call $reenter (local.get 0)) (i32.const 10)))
    (func $inner (export "inner") (param i32) (result i32)
      (call $wait_add1 (local.get 0)))
    (func $boom (export "boom") unreachable)
    ;; waits, then divides by the answer (0 traps after the suspension)
    (func $wait_div (export "wait_div") (param i32) (result i32)
      (i32.div_s (i32.const 100) (call $wait (local.get 0))))
    (func $rec (export "rec") (param i32) (result i32)
      (i32.add (call $rec (i32.add (local.get 0) (i32.const 1)))
               (i32.const 1)))
  )
)";

Config AsyncConfig() {
  Config c;
  c.async_support = true;
  return c;
}

// The store's data: the pending promises the "wait" host function made
// (the test plays the event loop), and where the fiber's stack was.
struct HostState {
  std::vector<Promise<int32_t>> pending;
  uintptr_t stack_address = 0;
  TypedFunc<int32_t(int32_t)>* inner = nullptr;
};

struct Fixture {
  explicit Fixture(Config config = AsyncConfig())
      : engine(config), linker(engine), store(engine, HostState{}) {
    module.emplace(*Module::FromWat(engine, kWat));
    // "wait": answers its argument later (via `pending`), or at once when
    // the argument is negative.
    EXPECT_TRUE(linker
                    .FuncWrapAsync("host", "wait",
                                   [](Caller<HostState>& caller, int32_t x) {
                                     int local = 0;
                                     caller.data().stack_address =
                                         reinterpret_cast<uintptr_t>(&local);
                                     if (x < 0) {
                                       return Future<int32_t>::Ready(-x);
                                     }
                                     auto [f, p] = MakeFuture<int32_t>();
                                     caller.data().pending.push_back(
                                         std::move(p));
                                     return std::move(f);
                                   })
                    .ok());
    EXPECT_TRUE(linker
                    .FuncWrap("host", "reenter",
                              [](Caller<HostState>& caller,
                                 int32_t x) -> absl::StatusOr<int32_t> {
                                Result<int32_t> r = caller.data().inner->Call(
                                    caller.store(), x + 1);
                                if (!r.ok()) return r.status();
                                return *r;
                              })
                    .ok());
  }

  Instance Instantiate() {
    AsyncCall<Instance> call = linker.InstantiateAsync(store, *module);
    Result<Instance> i = call.Run([] {});
    EXPECT_TRUE(i.ok()) << i.status();
    inner_fn.emplace(*i->GetTypedFunc<int32_t(int32_t)>(store, "inner"));
    store.data().inner = &*inner_fn;
    return *i;
  }

  TypedFunc<int32_t(int32_t)> Typed(Instance& i, std::string_view name) {
    return *i.GetTypedFunc<int32_t(int32_t)>(store, name);
  }

  // Completes the oldest pending promise with a value or an error.
  void Complete(int32_t value) {
    if (std::optional<Promise<int32_t>> p = TakeOldest()) p->Set(value);
  }
  void Fail(absl::Status error) {
    if (std::optional<Promise<int32_t>> p = TakeOldest()) {
      p->Set(std::move(error));
    }
  }
  std::optional<Promise<int32_t>> TakeOldest() {
    std::vector<Promise<int32_t>>& pending = store.data().pending;
    if (pending.empty()) {
      ADD_FAILURE() << "no pending promise";
      return std::nullopt;
    }
    Promise<int32_t> p = std::move(pending.front());
    pending.erase(pending.begin());
    return p;
  }

  Engine engine;
  Linker<HostState> linker;
  Store<HostState> store;
  std::optional<Module> module;
  std::optional<TypedFunc<int32_t(int32_t)>> inner_fn;
};

// "wait" that always waits (its promise in `pending`; it records its
// stack address) and an identity "reenter", for tests with several stores.
absl::Status DefinePendingWait(Linker<HostState>& linker) {
  absl::Status s = linker.FuncWrapAsync(
      "host", "wait", [](Caller<HostState>& c, int32_t) {
        int local = 0;
        c.data().stack_address = reinterpret_cast<uintptr_t>(&local);
        auto [f, p] = MakeFuture<int32_t>();
        c.data().pending.push_back(std::move(p));
        return std::move(f);
      });
  if (!s.ok()) return s;
  return linker.FuncWrap("host", "reenter", [](int32_t x) { return x; });
}

TEST(AsyncTest, TypedCallAsyncSuspendsUntilThePromiseIsSet) {
  Fixture f;
  Instance i = f.Instantiate();
  auto wait_add1 = f.Typed(i, "wait_add1");
  AsyncCall<int32_t> call = wait_add1.CallAsync(f.store, 5);
  int wakes = 0;
  call.SetWaker([&] { ++wakes; });
  EXPECT_TRUE(f.store.data().pending.empty());  // nothing runs before Poll
  EXPECT_EQ(call.Poll(), AsyncPoll::kPending);
  EXPECT_EQ(f.store.data().pending.size(), 1u);
  EXPECT_EQ(call.Poll(), AsyncPoll::kPending);  // still waiting
  EXPECT_EQ(wakes, 0);
  f.Complete(41);
  EXPECT_EQ(wakes, 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<int32_t> r = call.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 42);
}

TEST(AsyncTest, ReadyFutureDoesNotSuspend) {
  Fixture f;
  Instance i = f.Instantiate();
  AsyncCall<int32_t> call = f.Typed(i, "wait_add1").CallAsync(f.store, -7);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*call.TakeResult(), 8);
}

// A finished call's result waits in the store's fiber job until
// TakeResult (engine/async_call.h); these are the ways it must leave
// earlier, or be dropped.
TEST(AsyncTest, AnUntakenResultSurvivesTheNextCallOnTheStore) {
  Fixture f;
  Instance i = f.Instantiate();
  auto wait_add1 = f.Typed(i, "wait_add1");
  AsyncCall<int32_t> first = wait_add1.CallAsync(f.store, -1);
  ASSERT_EQ(first.Poll(), AsyncPoll::kReady);
  EXPECT_TRUE(first.done());
  // The store is free for the next call although `first` kept its result.
  AsyncCall<int32_t> second = wait_add1.CallAsync(f.store, -2);
  ASSERT_EQ(second.Poll(), AsyncPoll::kReady);
  EXPECT_TRUE(first.done());
  ASSERT_EQ(first.Poll(), AsyncPoll::kReady);  // polling again is harmless
  AsyncCall<int32_t> moved = std::move(second);
  EXPECT_EQ(*moved.TakeResult(), 3);
  EXPECT_EQ(*first.TakeResult(), 2);
  Result<int32_t> again = first.TakeResult();
  EXPECT_FALSE(again.ok());
  // A non-trivial result (a vector) through the same paths.
  absl::StatusOr<Func> func = i.GetFunc(f.store, "wait_add1");
  ASSERT_TRUE(func.ok());
  AsyncCall<std::vector<Val>> untyped =
      func->CallAsync(f.store, {Val::I32(-4)});
  ASSERT_EQ(untyped.Poll(), AsyncPoll::kReady);
  AsyncCall<int32_t> third = wait_add1.CallAsync(f.store, -5);
  ASSERT_EQ(third.Poll(), AsyncPoll::kReady);
  Result<std::vector<Val>> v = untyped.TakeResult();
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->size(), 1u);
  EXPECT_EQ((*v)[0].i32(), 5);
  EXPECT_EQ(*third.TakeResult(), 6);
  // Dropping a finished call whose result was never taken frees the store.
  {
    AsyncCall<int32_t> dropped = wait_add1.CallAsync(f.store, -6);
    ASSERT_EQ(dropped.Poll(), AsyncPoll::kReady);
  }
  AsyncCall<int32_t> fourth = wait_add1.CallAsync(f.store, -7);
  ASSERT_EQ(fourth.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*fourth.TakeResult(), 8);
}

TEST(AsyncTest, AFinishedResultOutlivesItsStore) {
  auto f = std::make_unique<Fixture>();
  Instance i = f->Instantiate();
  AsyncCall<int32_t> call = f->Typed(i, "wait_add1").CallAsync(f->store, -9);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  f.reset();
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<int32_t> r = call.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 10);
}

TEST(AsyncTest, NestingAcrossSuspensions) {
  // host -> outer (wasm) -> reenter (host, sync Call) -> inner (wasm) ->
  // wait_add1 -> wait (async host): suspended with all of them on the fiber.
  Fixture f;
  Instance i = f.Instantiate();
  auto outer = f.Typed(i, "outer");
  AsyncCall<int32_t> first = outer.CallAsync(f.store, 1);
  EXPECT_EQ(first.Poll(), AsyncPoll::kPending);
  f.Complete(100);  // wait(2) -> 100; inner = 101; outer = 1010
  ASSERT_EQ(first.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*first.TakeResult(), 1010);
  // Twice in a row on the same fiber, with the call moved between polls.
  for (int round = 0; round < 3; ++round) {
    AsyncCall<int32_t> a = outer.CallAsync(f.store, round);
    EXPECT_EQ(a.Poll(), AsyncPoll::kPending);
    AsyncCall<int32_t> moved = std::move(a);
    f.Complete(round * 3);
    ASSERT_EQ(moved.Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*moved.TakeResult(), (round * 3 + 1) * 10);
  }
}

TEST(AsyncTest, TrapsOnTheFiber) {
  Fixture f;
  Instance i = f.Instantiate();
  auto boom = *i.GetTypedFunc<void()>(f.store, "boom");
  AsyncCall<void> call = boom.CallAsync(f.store);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<void> r = call.TakeResult();
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kUnreachableCodeReached);
  ASSERT_FALSE(r.trap().backtrace().empty());
  EXPECT_EQ(r.trap().backtrace()[0].func_name, "boom");

  // A signal trap (division by zero) after a suspension: the fault is
  // handled on the fiber, with the backtrace of its frames.
  auto wait_div = f.Typed(i, "wait_div");
  AsyncCall<int32_t> div = wait_div.CallAsync(f.store, 3);
  EXPECT_EQ(div.Poll(), AsyncPoll::kPending);
  f.Complete(0);
  ASSERT_EQ(div.Poll(), AsyncPoll::kReady);
  Result<int32_t> d = div.TakeResult();
  ASSERT_TRUE(d.is_trap());
  EXPECT_EQ(d.trap().code(), TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(d.trap().backtrace()[0].func_name, "wait_div");

  // The fiber is usable afterwards.
  AsyncCall<int32_t> ok = f.Typed(i, "wait_add1").CallAsync(f.store, -1);
  ASSERT_EQ(ok.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*ok.TakeResult(), 2);
}

// A call of wait_add1 whose future fails traps with the future's error.
void ExpectErrorFromTheFutureTraps(Fixture& f,
                                   TypedFunc<int32_t(int32_t)>& wait_add1) {
  AsyncCall<int32_t> call = wait_add1.CallAsync(f.store, 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  f.Fail(absl::UnavailableError("backend down"));
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<int32_t> r = call.TakeResult();
  ASSERT_TRUE(r.is_trap());
  EXPECT_TRUE(absl::StrContains(r.trap().ToString(), "backend down"))
      << r.trap().ToString();
}

TEST(AsyncTest, ErrorFromTheFutureTraps) {
  Fixture f;
  Instance i = f.Instantiate();
  auto wait_add1 = f.Typed(i, "wait_add1");
  ExpectErrorFromTheFutureTraps(f, wait_add1);
}

void ExpectStackOverflowOnFiber(Config config) {
  Fixture f(config);
  Instance i = f.Instantiate();
  auto rec = f.Typed(i, "rec");
  for (int round = 0; round < 2; ++round) {
    AsyncCall<int32_t> call = rec.CallAsync(f.store, 0);
    ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
    Result<int32_t> r = call.TakeResult();
    ASSERT_TRUE(r.is_trap());
    EXPECT_EQ(r.trap().code(), TrapCode::kStackOverflow);
    // The store (and the fiber) keep working.
    AsyncCall<int32_t> ok = f.Typed(i, "wait_add1").CallAsync(f.store, -4);
    ASSERT_EQ(ok.Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*ok.TakeResult(), 5);
  }
}

TEST(AsyncTest, StackOverflowOnAFiberLimitedByMaxWasmStack) {
  Config c = AsyncConfig();
  c.max_wasm_stack = 256 << 10;
  c.async_stack_size = 2 << 20;
  ExpectStackOverflowOnFiber(c);
}

TEST(AsyncTest, StackOverflowOnAFiberLimitedByTheFiberStack) {
  // max_wasm_stack beyond the fiber: the fiber's own bounds stop wasm
  // (above the host reserve), never the guard page.
  Config c = AsyncConfig();
  c.max_wasm_stack = 8 << 20;
  c.async_stack_size = 512 << 10;
  ExpectStackOverflowOnFiber(c);
}

TEST(AsyncTest, TooSmallAsyncStackIsAnError) {
  Config c = AsyncConfig();
  c.async_stack_size = 64 << 10;
  Engine engine(c);
  Store<> store(engine);
  auto m = Module::FromWat(engine, "(module (func (export \"f\")))");
  Linker<> linker(engine);
  AsyncCall<Instance> call = linker.InstantiateAsync(store, *m);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<Instance> r = call.TakeResult();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "async_stack_size"))
      << r.status();
}

TEST(AsyncTest, FiberStacksArePooledAndReused) {
  Engine engine(AsyncConfig());
  std::vector<uintptr_t> seen;
  for (int s = 0; s < 4; ++s) {
    Store<HostState> store(engine, HostState{});
    Linker<HostState> linker(engine);
    ASSERT_TRUE(linker
                    .FuncWrapAsync("host", "wait",
                                   [](Caller<HostState>& c, int32_t x) {
                                     int local = 0;
                                     c.data().stack_address =
                                         reinterpret_cast<uintptr_t>(&local);
                                     return Future<int32_t>::Ready(x);
                                   })
                    .ok());
    ASSERT_TRUE(linker.FuncWrap("host", "reenter", [](int32_t x) { return x; })
                    .ok());
    auto m = Module::FromWat(engine, kWat);
    Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
    ASSERT_TRUE(i.ok()) << i.status();
    auto fn = *i->GetTypedFunc<int32_t(int32_t)>(store, "wait_add1");
    Result<int32_t> r = fn.CallAsync(store, 1).Run([] {});
    ASSERT_TRUE(r.ok());
    seen.push_back(store.data().stack_address);
  }
  // Each store gave its stack back to the engine's pool; the next took it.
  const uintptr_t page_mask = ~uintptr_t{0xfff};
  for (size_t k = 1; k < seen.size(); ++k) {
    EXPECT_EQ(seen[k] & page_mask, seen[0] & page_mask) << k;
  }
}

// A dropped store's fiber goes to the engine's next store
// (IdleAsyncDrivers); a promise of the cancelled call set afterwards wakes
// nothing there.
TEST(AsyncTest, ADroppedStoresFiberServesTheNextStore) {
  Engine engine(AsyncConfig());
  Linker<HostState> linker(engine);
  ASSERT_TRUE(DefinePendingWait(linker).ok());
  auto m = Module::FromWat(engine, kWat);
  ASSERT_TRUE(m.ok());
  std::vector<Promise<int32_t>> late;
  uintptr_t first_stack = 0;
  {
    Store<HostState> store(engine, HostState{});
    Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
    ASSERT_TRUE(i.ok()) << i.status();
    auto fn = *i->GetTypedFunc<int32_t(int32_t)>(store, "wait_add1");
    AsyncCall<int32_t> call = fn.CallAsync(store, 1);
    ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
    first_stack = store.data().stack_address;
    late = std::move(store.data().pending);
  }  // the call is cancelled, then the store dropped
  Store<HostState> store(engine, HostState{});
  Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
  ASSERT_TRUE(i.ok()) << i.status();
  auto fn = *i->GetTypedFunc<int32_t(int32_t)>(store, "wait_add1");
  AsyncCall<int32_t> call = fn.CallAsync(store, 5);
  int wakes = 0;
  call.SetWaker([&wakes] { ++wakes; });
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  const uintptr_t page_mask = ~uintptr_t{0xfff};
  EXPECT_EQ(store.data().stack_address & page_mask, first_stack & page_mask);
  ASSERT_EQ(late.size(), 1u);
  late[0].Set(100);  // the dropped call's: no wake here
  EXPECT_EQ(wakes, 0);
  ASSERT_EQ(store.data().pending.size(), 1u);
  store.data().pending[0].Set(7);
  EXPECT_EQ(wakes, 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<int32_t> r = call.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 8);
}

TEST(AsyncTest, ManyConcurrentlySuspendedInstances) {
  Engine engine(AsyncConfig());
  Linker<HostState> linker(engine);
  ASSERT_TRUE(DefinePendingWait(linker).ok());
  auto m = Module::FromWat(engine, kWat);
  ASSERT_TRUE(m.ok());
  auto pre = linker.InstantiatePre(*std::make_unique<Store<HostState>>(
                                       engine, HostState{}),
                                   *m);
  ASSERT_TRUE(pre.ok()) << pre.status();
  constexpr int kCalls = 300;
  std::vector<std::unique_ptr<Store<HostState>>> stores;
  std::vector<AsyncCall<int32_t>> calls;
  std::vector<int> woken(kCalls, 0);
  for (int k = 0; k < kCalls; ++k) {
    stores.push_back(std::make_unique<Store<HostState>>(engine, HostState{}));
    Result<Instance> inst = pre->InstantiateAsync(*stores[k]).Run([] {});
    ASSERT_TRUE(inst.ok()) << inst.status();
    auto fn = *inst->GetTypedFunc<int32_t(int32_t)>(*stores[k], "wait_add1");
    calls.push_back(fn.CallAsync(*stores[k], k));
    calls.back().SetWaker([&woken, k] { ++woken[k]; });
    ASSERT_EQ(calls.back().Poll(), AsyncPoll::kPending);
  }
  // Complete them in reverse order, polling each once it is woken.
  for (int k = kCalls - 1; k >= 0; --k) {
    ASSERT_EQ(stores[k]->data().pending.size(), 1u);
    stores[k]->data().pending[0].Set(k * 2);
    EXPECT_EQ(woken[k], 1);
    ASSERT_EQ(calls[k].Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*calls[k].TakeResult(), k * 2 + 1);
  }
}

TEST(AsyncTest, FuncCallAsyncAndFuncNewAsync) {
  Engine engine(AsyncConfig());
  Store<> store(engine);
  Linker<> linker(engine);
  std::vector<Promise<std::vector<Val>>> pending;
  ASSERT_TRUE(linker
                  .FuncNewAsync("host", "wait",
                                FuncType{{ValType::kI32}, {ValType::kI32}},
                                [&](Caller<>&, absl::Span<const Val> params) {
                                  auto [f, p] =
                                      MakeFuture<std::vector<Val>>();
                                  (void)params;
                                  pending.push_back(std::move(p));
                                  return std::move(f);
                                })
                  .ok());
  ASSERT_TRUE(
      linker.FuncWrap("host", "reenter", [](int32_t x) { return x; }).ok());
  auto m = Module::FromWat(engine, kWat);
  Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
  ASSERT_TRUE(i.ok()) << i.status();
  Func fn = *i->GetFunc(store, "wait_add1");
  AsyncCall<std::vector<Val>> call = fn.CallAsync(store, {Val::I32(3)});
  EXPECT_EQ(call.Poll(), AsyncPoll::kPending);
  ASSERT_EQ(pending.size(), 1u);
  pending[0].Set(std::vector<Val>{Val::I32(9)});
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<std::vector<Val>> r = call.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].i32(), 10);

  // Results of the wrong type trap, naming the function.
  AsyncCall<std::vector<Val>> bad = fn.CallAsync(store, {Val::I32(3)});
  EXPECT_EQ(bad.Poll(), AsyncPoll::kPending);
  pending[1].Set(std::vector<Val>{Val::I64(9)});
  ASSERT_EQ(bad.Poll(), AsyncPoll::kReady);
  Result<std::vector<Val>> br = bad.TakeResult();
  ASSERT_TRUE(br.is_trap());
  EXPECT_TRUE(absl::StrContains(br.trap().ToString(), "host::wait"))
      << br.trap().ToString();
}

constexpr std::string_view kStartWat = R"(
  (module
    (import "host" "wait" (func $wait (param i32) (result i32)))
    (global $g (mut i32) (i32.const 0))
    (func $start (global.set $g (call $wait (i32.const 1))))
    (start $start)
    (func (export "get") (result i32) (global.get $g)))
)";

constexpr std::string_view kReactorWat = R"(
  (module
    (import "host" "wait" (func $wait (param i32) (result i32)))
    (global $g (mut i32) (i32.const 0))
    (func (export "_initialize") (global.set $g (call $wait (i32.const 2))))
    (func (export "get") (result i32) (global.get $g)))
)";

struct StartFixture {
  StartFixture() : engine(AsyncConfig()), store(engine), linker(engine) {
    EXPECT_TRUE(linker
                    .FuncWrapAsync("host", "wait",
                                   [this](int32_t) {
                                     auto [f, p] = MakeFuture<int32_t>();
                                     pending.push_back(std::move(p));
                                     return std::move(f);
                                   })
                    .ok());
  }
  Engine engine;
  Store<> store;
  Linker<> linker;
  std::vector<Promise<int32_t>> pending;
};

TEST(AsyncTest, InstantiateAsyncRunsTheStartFunctionOnTheFiber) {
  StartFixture f;
  auto m = Module::FromWat(f.engine, kStartWat);
  ASSERT_TRUE(m.ok());
  AsyncCall<Instance> call = f.linker.InstantiateAsync(f.store, *m);
  EXPECT_EQ(call.Poll(), AsyncPoll::kPending);
  f.pending[0].Set(77);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<Instance> i = call.TakeResult();
  ASSERT_TRUE(i.ok()) << i.status();
  auto get = *i->GetTypedFunc<int32_t()>(f.store, "get");
  EXPECT_EQ(*get.CallAsync(f.store).Run([] {}), 77);

  // InstancePre::InstantiateAsync, twice from one InstancePre.
  auto pre = f.linker.InstantiatePre(f.store, *m);
  ASSERT_TRUE(pre.ok()) << pre.status();
  for (int k = 0; k < 2; ++k) {
    AsyncCall<Instance> c = pre->InstantiateAsync(f.store);
    EXPECT_EQ(c.Poll(), AsyncPoll::kPending);
    f.pending.back().Set(k);
    ASSERT_EQ(c.Poll(), AsyncPoll::kReady);
    Result<Instance> inst = c.TakeResult();
    ASSERT_TRUE(inst.ok()) << inst.status();
    auto g = *inst->GetTypedFunc<int32_t()>(f.store, "get");
    EXPECT_EQ(*g.CallAsync(f.store).Run([] {}), k);
  }
}

TEST(AsyncTest, ModuleAsyncInitializesAReactorOnTheFiber) {
  StartFixture f;
  auto m = Module::FromWat(f.engine, kReactorWat);
  ASSERT_TRUE(m.ok());
  // Synchronously, the reactor cannot be initialized on an async store.
  absl::Status sync = f.linker.Module(f.store, "reactor", *m);
  EXPECT_FALSE(sync.ok());
  EXPECT_TRUE(absl::StrContains(sync.message(), "async_support")) << sync;
  AsyncCall<void> call = f.linker.ModuleAsync(f.store, "reactor", *m);
  EXPECT_EQ(call.Poll(), AsyncPoll::kPending);
  f.pending.back().Set(5);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<void> r = call.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  auto get = f.linker.Get(f.store, "reactor", "get");
  ASSERT_TRUE(get.ok()) << get.status();
  auto typed = *TypedFunc<int32_t()>::Create(f.store, *get->func());
  EXPECT_EQ(*typed.CallAsync(f.store).Run([] {}), 5);
}

TEST(AsyncTest, MixingRules) {
  Fixture f;
  Instance i = f.Instantiate();
  auto wait_add1 = f.Typed(i, "wait_add1");
  // Sync calls on an async store: errors, not hangs.
  Result<int32_t> sync = wait_add1.Call(f.store, -1);
  ASSERT_FALSE(sync.ok());
  EXPECT_FALSE(sync.is_trap());
  EXPECT_EQ(sync.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(sync.status().message(), "TypedFunc::Call"));
  Func fn = wait_add1.func();
  Result<std::vector<Val>> untyped = fn.Call(f.store, {Val::I32(-1)});
  EXPECT_TRUE(absl::StrContains(untyped.status().message(), "Func::Call"))
      << untyped.status();
  Result<Instance> inst = f.linker.Instantiate(f.store, *f.module);
  EXPECT_TRUE(absl::StrContains(inst.status().message(),
                                "InstancePre::Instantiate") ||
              absl::StrContains(inst.status().message(), "Instance::Create"))
      << inst.status();
  Result<Instance> direct = Instance::Create(f.store, *f.module, {});
  EXPECT_FALSE(direct.ok());

  // One async call at a time per store.
  AsyncCall<int32_t> first = wait_add1.CallAsync(f.store, 1);
  EXPECT_EQ(first.Poll(), AsyncPoll::kPending);
  AsyncCall<int32_t> second = wait_add1.CallAsync(f.store, 1);
  ASSERT_EQ(second.Poll(), AsyncPoll::kReady);
  Result<int32_t> sr = second.TakeResult();
  EXPECT_TRUE(absl::StrContains(sr.status().message(), "one at a time"))
      << sr.status();
  f.Complete(1);
  ASSERT_EQ(first.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*first.TakeResult(), 2);

  // Async entry points on a store without async support.
  Engine sync_engine;
  Store<> sync_store(sync_engine);
  auto m = Module::FromWat(sync_engine, "(module (func (export \"f\")))");
  Linker<> sync_linker(sync_engine);
  AsyncCall<Instance> ia = sync_linker.InstantiateAsync(sync_store, *m);
  ASSERT_EQ(ia.Poll(), AsyncPoll::kReady);
  EXPECT_TRUE(absl::StrContains(ia.TakeResult().status().message(),
                                "Config::async_support is off"));
  absl::Status wrap = sync_linker.FuncWrapAsync(
      "host", "w", [](int32_t x) { return Future<int32_t>::Ready(x); });
  EXPECT_EQ(wrap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(wrap.message(), "FuncWrapAsync")) << wrap;
  absl::Status fnew = sync_linker.FuncNewAsync(
      "host", "n", FuncType{{}, {}},
      [](Caller<>&, absl::Span<const Val>) {
        return Future<std::vector<Val>>::Ready(std::vector<Val>{});
      });
  EXPECT_EQ(fnew.code(), absl::StatusCode::kFailedPrecondition);
  Result<Instance> si = sync_linker.Instantiate(sync_store, *m);
  ASSERT_TRUE(si.ok());
  auto sf = *si->GetTypedFunc<void()>(sync_store, "f");
  AsyncCall<void> sa = sf.CallAsync(sync_store);
  ASSERT_EQ(sa.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(sa.TakeResult().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(AsyncTest, NestedCallAsyncFromAHostFunctionIsAnError) {
  Engine engine(AsyncConfig());
  Store<> store(engine);
  Linker<> linker(engine);
  std::optional<TypedFunc<int32_t(int32_t)>> inner;
  absl::Status nested;
  ASSERT_TRUE(linker
                  .FuncWrapAsync("host", "wait",
                                 [](int32_t x) {
                                   return Future<int32_t>::Ready(x);
                                 })
                  .ok());
  ASSERT_TRUE(linker
                  .FuncWrap("host", "reenter",
                            [&](Caller<>& c, int32_t x) {
                              AsyncCall<int32_t> a = inner->CallAsync(
                                  c.store(), x);
                              a.Poll();
                              nested = a.TakeResult().status();
                              return x;
                            })
                  .ok());
  auto m = Module::FromWat(engine, kWat);
  Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
  ASSERT_TRUE(i.ok());
  inner.emplace(*i->GetTypedFunc<int32_t(int32_t)>(store, "inner"));
  auto outer = *i->GetTypedFunc<int32_t(int32_t)>(store, "outer");
  Result<int32_t> r = outer.CallAsync(store, 4).Run([] {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 40);  // outer(4) = reenter(4) * 10
  EXPECT_TRUE(absl::StrContains(nested.message(), "one at a time")) << nested;
}

TEST(AsyncTest, DroppingAPendingCallCancelsIt) {
  Fixture f;
  Instance i = f.Instantiate();
  auto outer = f.Typed(i, "outer");
  {
    AsyncCall<int32_t> call = outer.CallAsync(f.store, 1);
    EXPECT_EQ(call.Poll(), AsyncPoll::kPending);
  }  // cancelled: the wait fails, the guest traps, the fiber unwinds
  // The late completion goes nowhere; the store runs the next call.
  f.Complete(3);
  AsyncCall<int32_t> next = outer.CallAsync(f.store, 1);
  EXPECT_EQ(next.Poll(), AsyncPoll::kPending);
  f.Complete(3);
  ASSERT_EQ(next.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*next.TakeResult(), 40);
}

TEST(AsyncTest, DestroyingTheStoreOrphansItsPendingCall) {
  auto f = std::make_unique<Fixture>();
  Instance i = f->Instantiate();
  AsyncCall<int32_t> call = f->Typed(i, "outer").CallAsync(f->store, 1);
  EXPECT_EQ(call.Poll(), AsyncPoll::kPending);
  f.reset();
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<int32_t> r = call.TakeResult();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "store was destroyed"))
      << r.status();
}

TEST(AsyncThreadsTest, ACallSuspendedOnOneThreadFinishesOnAnother) {
  Fixture f;
  Instance i = f.Instantiate();
  auto outer = f.Typed(i, "outer");
  std::optional<AsyncCall<int32_t>> call;
  std::thread([&] {
    call.emplace(outer.CallAsync(f.store, 2));
    EXPECT_EQ(call->Poll(), AsyncPoll::kPending);
  }).join();
  // The promise is set, and the call polled, on other threads.
  std::thread([&] { f.Complete(6); }).join();
  std::optional<Result<int32_t>> r;
  std::thread([&] {
    ASSERT_EQ(call->Poll(), AsyncPoll::kReady);
    r.emplace(call->TakeResult());
  }).join();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ(**r, 70);  // reenter(2) -> inner(3) -> wait -> 6 + 1, * 10
  // A trap after the migration still finds its entry frame on the fiber.
  auto wait_div = f.Typed(i, "wait_div");
  std::optional<AsyncCall<int32_t>> div;
  std::thread([&] {
    div.emplace(wait_div.CallAsync(f.store, 1));
    EXPECT_EQ(div->Poll(), AsyncPoll::kPending);
  }).join();
  f.Complete(0);
  Result<int32_t> d = div->Run([] {});
  ASSERT_TRUE(d.is_trap());
  EXPECT_EQ(d.trap().code(), TrapCode::kIntegerDivisionByZero);
}

// A call started on this thread and finished on another (its fiber resumed
// there) leaves no entry frame behind: the fiber's next calls, back on this
// thread, trap and return as usual. The return from wasm used to unlink its
// entry frame in the starting thread's TLS on AArch64 (the compiler kept
// the thread pointer read before the call): the resuming thread's list kept
// the returned frame, the fiber took it as its own, and the next entry at
// that address linked to itself, so this trap's walk of the entry list
// never ended (runtime/traps/call_thread_state.h,
// SetCurrentEntryFrameAfterCall).
TEST(AsyncThreadsTest, ACallFinishedOnAnotherThreadLeavesNoEntryFrameBehind) {
  Fixture f;
  Instance i = f.Instantiate();
  auto wait_add1 = f.Typed(i, "wait_add1");
  AsyncCall<int32_t> call = wait_add1.CallAsync(f.store, 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  std::optional<Result<int32_t>> r;
  std::thread([&] {
    f.Complete(4);
    ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
    r.emplace(call.TakeResult());
  }).join();
  ASSERT_TRUE(r.has_value());
  ASSERT_TRUE(r->ok()) << r->status();
  EXPECT_EQ(**r, 5);
  // RaiseTrap (an error from the future) on this thread, same fiber.
  ExpectErrorFromTheFutureTraps(f, wait_add1);
  // And a fault trap, then a plain return.
  auto boom = *i.GetTypedFunc<void()>(f.store, "boom");
  AsyncCall<void> b = boom.CallAsync(f.store);
  ASSERT_EQ(b.Poll(), AsyncPoll::kReady);
  Result<void> br = b.TakeResult();
  ASSERT_TRUE(br.is_trap());
  EXPECT_EQ(br.trap().code(), TrapCode::kUnreachableCodeReached);
  AsyncCall<int32_t> ok = wait_add1.CallAsync(f.store, -1);
  ASSERT_EQ(ok.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*ok.TakeResult(), 2);
}

TEST(AsyncThreadsTest, StoresOnSeveralThreadsShareTheEnginesStackPool) {
  Engine engine(AsyncConfig());
  Linker<HostState> linker(engine);
  ASSERT_TRUE(linker
                  .FuncWrapAsync("host", "wait",
                                 [](Caller<HostState>& c, int32_t x) {
                                   auto [f, p] = MakeFuture<int32_t>();
                                   c.data().pending.push_back(std::move(p));
                                   return std::move(f);
                                 })
                  .ok());
  ASSERT_TRUE(
      linker.FuncWrap("host", "reenter", [](int32_t x) { return x; }).ok());
  auto m = Module::FromWat(engine, kWat);
  ASSERT_TRUE(m.ok());
  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        Store<HostState> store(engine, HostState{});
        Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
        ASSERT_TRUE(i.ok()) << i.status();
        auto fn = *i->GetTypedFunc<int32_t(int32_t)>(store, "wait_add1");
        AsyncCall<int32_t> call = fn.CallAsync(store, t);
        ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
        store.data().pending[0].Set(round + t);
        ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
        ASSERT_EQ(*call.TakeResult(), round + t + 1);
        done.fetch_add(1);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(done.load(), 60);
}

constexpr std::string_view kCountWat = R"(
  (module
    (func (export "count") (param i32) (result i32) (local i32)
      (block $done
        (loop $l
          (br_if $done (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br $l)))
      (local.get 1)))
)";

Config EpochAsyncConfig() {
  Config c = AsyncConfig();
  c.epoch_interruption = true;
  return c;
}

TEST(AsyncEpochTest, YieldsAtEachDeadlineAndResumes) {
  Engine engine(EpochAsyncConfig());
  Store<> store(engine);
  Linker<> linker(engine);
  auto m = Module::FromWat(engine, kCountWat);
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
  ASSERT_TRUE(i.ok()) << i.status();
  auto count = *i->GetTypedFunc<int32_t(int32_t)>(store, "count");
  store.EpochDeadlineAsyncYieldAndUpdate(1);
  store.SetEpochDeadline(0);  // reached at the first check
  AsyncCall<int32_t> call = count.CallAsync(store, 30'000'000);
  int wakes = 0;
  call.SetWaker([&] { ++wakes; });
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  EXPECT_EQ(wakes, 1);  // a yield wakes at once
  for (int k = 0; k < 5; ++k) {
    engine.IncrementEpoch();  // the deadline (epoch at the yield + 1)
    ASSERT_EQ(call.Poll(), AsyncPoll::kPending) << k;
    EXPECT_EQ(wakes, k + 2);
  }
  // No more ticks: runs to the end.
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  Result<int32_t> r = call.TakeResult();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 30'000'000);
}

TEST(AsyncEpochTest, AYieldingGuestLetsOtherCallsOnTheThreadFinish) {
  Engine engine(EpochAsyncConfig());
  Linker<> linker(engine);
  auto m = Module::FromWat(engine, kCountWat);
  ASSERT_TRUE(m.ok());
  Store<> heavy(engine), light(engine);
  heavy.EpochDeadlineAsyncYieldAndUpdate(1);
  heavy.SetEpochDeadline(0);
  light.SetEpochDeadline(1'000'000);
  Result<Instance> hi = linker.InstantiateAsync(heavy, *m).Run([] {});
  Result<Instance> li = linker.InstantiateAsync(light, *m).Run([] {});
  ASSERT_TRUE(hi.ok() && li.ok());
  auto hcount = *hi->GetTypedFunc<int32_t(int32_t)>(heavy, "count");
  auto lcount = *li->GetTypedFunc<int32_t(int32_t)>(light, "count");
  AsyncCall<int32_t> h = hcount.CallAsync(heavy, 200'000'000);
  AsyncCall<int32_t> l = lcount.CallAsync(light, 10);
  // A one-thread event loop, round robin; a timer thread ends the epoch
  // every millisecond.
  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    while (!stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      engine.IncrementEpoch();
    }
  });
  std::vector<std::string> finished;
  bool h_done = false, l_done = false;
  int heavy_polls = 0;
  while (!h_done || !l_done) {
    if (!h_done) ++heavy_polls;
    if (!h_done && h.Poll() == AsyncPoll::kReady) {
      h_done = true;
      finished.push_back("heavy");
    }
    if (!l_done && l.Poll() == AsyncPoll::kReady) {
      l_done = true;
      finished.push_back("light");
    }
  }
  stop.store(true);
  ticker.join();
  EXPECT_EQ(finished, (std::vector<std::string>{"light", "heavy"}));
  EXPECT_GE(heavy_polls, 2);
  EXPECT_EQ(*h.TakeResult(), 200'000'000);
  EXPECT_EQ(*l.TakeResult(), 10);
}

TEST(AsyncEpochTest, YieldOutsideAnAsyncCallTraps) {
  Config c;
  c.epoch_interruption = true;
  Engine engine(c);
  Store<> store(engine);
  auto m = Module::FromWat(engine, kCountWat);
  ASSERT_TRUE(m.ok());
  Result<Instance> i = Instance::Create(store, *m, {});
  ASSERT_TRUE(i.ok());
  store.EpochDeadlineAsyncYieldAndUpdate(1);
  store.SetEpochDeadline(0);
  Result<int32_t> r =
      (*i->GetTypedFunc<int32_t(int32_t)>(store, "count")).Call(store, 5);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  EXPECT_TRUE(absl::StrContains(r.trap().ToString(), "outside an async call"))
      << r.trap().ToString();
}

// --- Fuel yield interval (Store::FuelAsyncYieldInterval).

Config FuelAsyncConfig() {
  Config c = AsyncConfig();
  c.consume_fuel = true;
  return c;
}

struct FuelFixture {
  FuelFixture() : engine(FuelAsyncConfig()), store(engine), linker(engine) {
    auto m = Module::FromWat(engine, kCountWat);
    EXPECT_TRUE(m.ok()) << m.status();
    EXPECT_TRUE(store.SetFuel(1'000'000).ok());
    Result<Instance> i = linker.InstantiateAsync(store, *m).Run([] {});
    EXPECT_TRUE(i.ok()) << i.status();
    count.emplace(*i->GetTypedFunc<int32_t(int32_t)>(store, "count"));
  }
  Engine engine;
  Store<> store;
  Linker<> linker;
  std::optional<TypedFunc<int32_t(int32_t)>> count;
};

TEST(AsyncFuelTest, YieldsEveryIntervalThenTrapsWhenTheFuelIsGone) {
  FuelFixture f;
  ASSERT_TRUE(f.store.FuelAsyncYieldInterval(1000).ok());
  ASSERT_TRUE(f.store.SetFuel(10'000).ok());
  EXPECT_EQ(*f.store.GetFuel(), 10'000u);  // reserve included
  AsyncCall<int32_t> call = f.count->CallAsync(f.store, 1'000'000);
  int wakes = 0;
  call.SetWaker([&] { ++wakes; });
  int pending = 0;
  while (call.Poll() == AsyncPoll::kPending) ++pending;
  // 1000 active + 9 refills of 1000 from the reserve, a yield before each.
  EXPECT_EQ(pending, 9);
  EXPECT_EQ(wakes, 9);
  Result<int32_t> r = call.TakeResult();
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kOutOfFuel);
  EXPECT_EQ(*f.store.GetFuel(), 0u);
}

TEST(AsyncFuelTest, YieldingCostsNoFuel) {
  // The same call with and without an interval consumes the same fuel.
  uint64_t used[2];
  int pendings[2];
  for (int with_interval = 0; with_interval < 2; ++with_interval) {
    FuelFixture f;
    if (with_interval) {
      ASSERT_TRUE(f.store.FuelAsyncYieldInterval(777).ok());
    }
    ASSERT_TRUE(f.store.SetFuel(1'000'000).ok());
    AsyncCall<int32_t> call = f.count->CallAsync(f.store, 5000);
    pendings[with_interval] = 0;
    while (call.Poll() == AsyncPoll::kPending) ++pendings[with_interval];
    Result<int32_t> r = call.TakeResult();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, 5000);
    used[with_interval] = 1'000'000 - *f.store.GetFuel();
  }
  EXPECT_EQ(used[0], used[1]);
  EXPECT_EQ(pendings[0], 0);
  EXPECT_EQ(pendings[1], static_cast<int>(used[1] / 777));
  // Off again: no more yields.
  FuelFixture f;
  ASSERT_TRUE(f.store.FuelAsyncYieldInterval(100).ok());
  ASSERT_TRUE(f.store.FuelAsyncYieldInterval(0).ok());
  EXPECT_EQ(*f.store.GetFuel(), 1'000'000u);
  AsyncCall<int32_t> call = f.count->CallAsync(f.store, 5000);
  EXPECT_EQ(call.Poll(), AsyncPoll::kReady);
}

TEST(AsyncFuelTest, AFuelYieldingGuestLetsOtherCallsOnTheThreadFinish) {
  FuelFixture heavy, light;
  ASSERT_TRUE(heavy.store.FuelAsyncYieldInterval(10'000).ok());
  ASSERT_TRUE(heavy.store.SetFuel(uint64_t{1} << 40).ok());
  AsyncCall<int32_t> h = heavy.count->CallAsync(heavy.store, 2'000'000);
  AsyncCall<int32_t> l = light.count->CallAsync(light.store, 10);
  std::vector<std::string> finished;
  bool h_done = false, l_done = false;
  while (!h_done || !l_done) {
    if (!h_done && h.Poll() == AsyncPoll::kReady) {
      h_done = true;
      finished.push_back("heavy");
    }
    if (!l_done && l.Poll() == AsyncPoll::kReady) {
      l_done = true;
      finished.push_back("light");
    }
  }
  EXPECT_EQ(finished, (std::vector<std::string>{"light", "heavy"}));
  EXPECT_EQ(*h.TakeResult(), 2'000'000);
  EXPECT_EQ(*l.TakeResult(), 10);
}

TEST(AsyncFuelTest, IntervalNeedsFuelAndAsyncSupport) {
  Config no_async;
  no_async.consume_fuel = true;
  Engine e1(no_async);
  Store<> s1(e1);
  absl::Status st = s1.FuelAsyncYieldInterval(10);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(st.message(), "async_support")) << st;
  Engine e2(AsyncConfig());
  Store<> s2(e2);
  st = s2.FuelAsyncYieldInterval(10);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(st.message(), "consume_fuel")) << st;
}

TEST(AsyncFuelTest, SyncOutOfFuelStillTraps) {
  Config c;
  c.consume_fuel = true;
  Engine engine(c);
  Store<> store(engine);
  auto m = Module::FromWat(engine, kCountWat);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(store.SetFuel(1'000'000).ok());
  Result<Instance> i = Instance::Create(store, *m, {});
  ASSERT_TRUE(i.ok());
  auto count = *i->GetTypedFunc<int32_t(int32_t)>(store, "count");
  ASSERT_TRUE(store.SetFuel(500).ok());
  Result<int32_t> r = count.Call(store, 1'000'000);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kOutOfFuel);
  // The store stays usable: refuel, call again.
  ASSERT_TRUE(store.SetFuel(1'000'000).ok());
  EXPECT_EQ(*count.Call(store, 10), 10);
}

}  // namespace
}  // namespace kiln
