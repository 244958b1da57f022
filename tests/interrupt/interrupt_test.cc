// Epoch interruption and fuel through the embedding API: traps at loop
// headers and function entries, the deadline callback, exact fuel counts,
// resumption in the same store, host <-> wasm nesting, and .cwasm
// compatibility.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

constexpr std::string_view kWat = R"(
  (module
    (import "env" "host" (func $host (param i32) (result i32)))
    (func $spin (export "spin")
      (loop $l (br $l)))
    (func $rec (export "rec") (param i32) (result i32)
      ;; recursion without loops: only function-entry checks stop it
      (if (result i32) (i32.eqz (local.get 0))
        (then (i32.const 0))
        (else (i32.add (i32.const 1)
                       (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
    (func $count (export "count") (param i32) (result i32) (local i32)
      (block $done
        (loop $l
          (br_if $done (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (i32.const 1)))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
          (br $l)))
      (local.get 1))
    ;; local.get, i32.const, i32.add = 3 (end costs 0)
    (func $add1 (export "add1") (param i32) (result i32)
      (i32.add (local.get 0) (i32.const 1)))
    ;; nop, drop, block, end, return cost 0: i32.const 1
    (func $free (export "free") (result i32)
      (nop) (block (nop)) (drop (i32.const 7)) (return (i32.const 1)))
    ;; wasm -> host -> wasm: the host calls "add1" back
    (func $via_host (export "via_host") (param i32) (result i32)
      (call $host (local.get 0)))
  )
)";

struct Fixture {
  explicit Fixture(Config config) : engine(config), store(engine) {}

  // `host` receives the store and the argument; default: identity.
  Instance Instantiate(
      std::function<int32_t(Caller<>&, int32_t)> host = nullptr) {
    host_ = std::move(host);
    absl::StatusOr<Module> m = Module::FromWat(engine, kWat);
    EXPECT_TRUE(m.ok()) << m.status();
    absl::StatusOr<Func> h = Func::New(
        store, FuncType{{ValType::kI32}, {ValType::kI32}},
        [this](Caller<>& caller, absl::Span<const Val> params,
               absl::Span<Val> results) -> std::optional<Trap> {
          results[0] = Val::I32(host_ ? host_(caller, params[0].i32())
                                      : params[0].i32());
          return std::nullopt;
        });
    EXPECT_TRUE(h.ok()) << h.status();
    Result<Instance> i = Instance::Create(store, *m, {Extern(*h)});
    EXPECT_TRUE(i.ok()) << i.status();
    return *i;
  }

  Engine engine;
  Store<> store;
  std::function<int32_t(Caller<>&, int32_t)> host_;
};

Config EpochConfig() {
  Config c;
  c.epoch_interruption = true;
  return c;
}
Config FuelConfig() {
  Config c;
  c.consume_fuel = true;
  return c;
}

// --- Epochs ---------------------------------------------------------------

TEST(EpochTest, DeadlineReachedTrapsAtLoopHeader) {
  Fixture f(EpochConfig());
  Instance inst = f.Instantiate();
  auto spin = inst.GetTypedFunc<void()>(f.store, "spin");
  ASSERT_TRUE(spin.ok()) << spin.status();
  f.store.SetEpochDeadline(1);
  f.engine.IncrementEpoch();  // already past: the first check traps
  Result<void> r = spin->Call(f.store);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  EXPECT_EQ(r.trap().message(), "interrupt");
}

TEST(EpochTest, NoDeadlineSetTrapsAtOnce) {
  // As wasmtime: the deadline starts at 0, which epoch 0 has reached.
  Fixture f(EpochConfig());
  Instance inst = f.Instantiate();
  auto add1 = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "add1");
  ASSERT_TRUE(add1.ok());
  Result<int32_t> r = add1->Call(f.store, 1);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  f.store.SetEpochDeadline(1);
  r = add1->Call(f.store, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 2);
}

TEST(EpochTest, FunctionEntryCheckStopsRecursion) {
  Fixture f(EpochConfig());
  Instance inst = f.Instantiate();
  auto rec = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "rec");
  ASSERT_TRUE(rec.ok());
  f.store.SetEpochDeadline(1);
  Result<int32_t> ok = rec->Call(f.store, 100);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 100);
  f.engine.IncrementEpoch();
  Result<int32_t> r = rec->Call(f.store, 100);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  // Trapped at the outermost entry: one frame.
  ASSERT_FALSE(r.trap().backtrace().empty());
}

TEST(EpochTest, IncrementFromAnotherThreadStopsSpinningWasm) {
  Fixture f(EpochConfig());
  Instance inst = f.Instantiate();
  auto spin = inst.GetTypedFunc<void()>(f.store, "spin");
  ASSERT_TRUE(spin.ok());
  // Read before the deadline is set and the ticker starts: the deadline is
  // 3 ticks past this epoch (read later, a tick could already be counted).
  const uint64_t before = f.engine.CurrentEpoch();
  f.store.SetEpochDeadline(3);
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      f.engine.IncrementEpoch();
    }
  });
  Result<void> r = spin->Call(f.store);
  const uint64_t after = f.engine.CurrentEpoch();
  done = true;
  ticker.join();
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  EXPECT_GE(after, before + 3);
  // The store stays usable: a new deadline and the next call runs.
  f.store.SetEpochDeadline(1000);
  auto count = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "count");
  ASSERT_TRUE(count.ok());
  Result<int32_t> c = count->Call(f.store, 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, 1000);
}

TEST(EpochTest, CallbackExtendsDeadlineThenTraps) {
  Fixture f(EpochConfig());
  Instance inst = f.Instantiate();
  auto spin = inst.GetTypedFunc<void()>(f.store, "spin");
  ASSERT_TRUE(spin.ok());
  int calls = 0;
  f.store.EpochDeadlineCallback(
      [&](StoreOpaque& s) -> absl::StatusOr<uint64_t> {
        EXPECT_EQ(&s, static_cast<StoreOpaque*>(&f.store));
        if (++calls > 5) return absl::DeadlineExceededError("enough");
        // The "other thread" of this test: the next tick happens here, so
        // the loop runs on until the new deadline is reached again.
        f.engine.IncrementEpoch();
        return 2;
      });
  f.store.SetEpochDeadline(1);
  f.engine.IncrementEpoch();
  std::atomic<bool> done{false};
  std::thread ticker([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      f.engine.IncrementEpoch();
    }
  });
  Result<void> r = spin->Call(f.store);
  done = true;
  ticker.join();
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  // The callback's reason is kept in the trap's message.
  EXPECT_EQ(r.trap().message(), "interrupt: enough");
  EXPECT_EQ(calls, 6);
  // Back to trapping without a callback.
  f.store.EpochDeadlineTrap();
  f.store.SetEpochDeadline(0);
  EXPECT_TRUE(spin->Call(f.store).is_trap());
}

TEST(EpochTest, CallbackContinueFinishesTheCall) {
  Fixture f(EpochConfig());
  Instance inst = f.Instantiate();
  auto count = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "count");
  ASSERT_TRUE(count.ok());
  int calls = 0;
  f.store.EpochDeadlineCallback(
      [&](StoreOpaque&) -> absl::StatusOr<uint64_t> {
        ++calls;
        return 1;
      });
  // Deadline 0 at epoch 0: the callback runs at the entry check, sets the
  // deadline one tick ahead and the loop completes.
  Result<int32_t> r = count->Call(f.store, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 100000);
  EXPECT_EQ(calls, 1);
}

// --- Fuel -----------------------------------------------------------------

TEST(FuelTest, DisabledIsAnError) {
  Engine engine;
  Store<> store(engine);
  EXPECT_EQ(store.SetFuel(10).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.GetFuel().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FuelTest, ExactAccounting) {
  Fixture f(FuelConfig());
  Instance inst = f.Instantiate();
  ASSERT_TRUE(f.store.SetFuel(1000).ok());
  EXPECT_EQ(*f.store.GetFuel(), 1000u);
  auto add1 = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "add1");
  ASSERT_TRUE(add1.ok());
  Result<int32_t> r = add1->Call(f.store, 41);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  // Straight-line: charged although no check follows.
  EXPECT_EQ(*f.store.GetFuel(), 997u);
  auto free = inst.GetTypedFunc<int32_t()>(f.store, "free");
  ASSERT_TRUE(free.ok());
  ASSERT_TRUE(free->Call(f.store).ok());
  // Only the two i32.const cost (nop, block, end, drop, return are free).
  EXPECT_EQ(*f.store.GetFuel(), 995u);

  // count(n): before the loop 0; per iteration local.get, i32.eqz, br_if,
  // local.get, i32.const, i32.add, local.set, local.get, i32.const,
  // i32.sub, local.set, br = 12; the last: local.get, i32.eqz, br_if = 3;
  // after: local.get = 1.
  auto count = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "count");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(f.store.SetFuel(1000).ok());
  ASSERT_TRUE(count->Call(f.store, 10).ok());
  EXPECT_EQ(*f.store.GetFuel(), 1000u - (10 * 12 + 3 + 1));
}

TEST(FuelTest, OutOfFuelTrapsThenResumesInTheSameStore) {
  Fixture f(FuelConfig());
  Instance inst = f.Instantiate();
  auto spin = inst.GetTypedFunc<void()>(f.store, "spin");
  auto count = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "count");
  ASSERT_TRUE(spin.ok() && count.ok());
  // No fuel yet: trap at the entry check.
  Result<int32_t> r0 = count->Call(f.store, 1);
  ASSERT_TRUE(r0.is_trap());
  EXPECT_EQ(r0.trap().code(), TrapCode::kOutOfFuel);
  EXPECT_EQ(r0.trap().message(), "all fuel consumed by WebAssembly");

  ASSERT_TRUE(f.store.SetFuel(10000).ok());
  Result<void> r = spin->Call(f.store);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kOutOfFuel);
  EXPECT_EQ(*f.store.GetFuel(), 0u);
  // Not enough for 1000 iterations ...
  ASSERT_TRUE(f.store.SetFuel(500).ok());
  EXPECT_TRUE(count->Call(f.store, 1000).is_trap());
  // ... enough now, same store, same instance.
  ASSERT_TRUE(f.store.SetFuel(1000 * 12 + 4).ok());
  Result<int32_t> c = count->Call(f.store, 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, 1000);
  EXPECT_EQ(*f.store.GetFuel(), 0u);
}

TEST(FuelTest, RecursionIsChargedAndStopped) {
  Fixture f(FuelConfig());
  Instance inst = f.Instantiate();
  auto rec = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "rec");
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(f.store.SetFuel(100).ok());
  Result<int32_t> r = rec->Call(f.store, 1000);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kOutOfFuel);
}

TEST(FuelTest, HostWasmHostWasmNesting) {
  Fixture f(FuelConfig());
  std::optional<TypedFunc<int32_t(int32_t)>> add1;
  std::vector<uint64_t> seen;
  Instance inst = f.Instantiate([&](Caller<>& caller, int32_t x) {
    // The outer call's fuel is flushed before the call: exact here.
    seen.push_back(*caller.store().GetFuel());
    Result<int32_t> r = add1->Call(caller.store(), x);
    seen.push_back(*caller.store().GetFuel());
    return r.ok() ? *r : -1;
  });
  auto a = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "add1");
  ASSERT_TRUE(a.ok());
  add1 = *a;
  auto via = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "via_host");
  ASSERT_TRUE(via.ok());
  ASSERT_TRUE(f.store.SetFuel(100).ok());
  Result<int32_t> r = via->Call(f.store, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 6);
  // via_host: local.get + call = 2 before the host runs; add1: 3.
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], 98u);
  EXPECT_EQ(seen[1], 95u);
  EXPECT_EQ(*f.store.GetFuel(), 95u);

  // The inner call runs out: its trap comes back to the host, which
  // returns -1; the outer wasm then finishes normally.
  ASSERT_TRUE(f.store.SetFuel(2).ok());
  r = via->Call(f.store, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, -1);
}

TEST(EpochTest, HostWasmHostWasmNesting) {
  Fixture f(EpochConfig());
  std::optional<TypedFunc<int32_t(int32_t)>> add1;
  Instance inst = f.Instantiate([&](Caller<>& caller, int32_t x) {
    // The deadline passes while the host runs: the nested call traps at
    // its entry, the host sees that.
    f.engine.IncrementEpoch();
    Result<int32_t> r = add1->Call(caller.store(), x);
    return r.is_trap() && r.trap().code() == TrapCode::kInterrupt ? -7 : 0;
  });
  auto a = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "add1");
  ASSERT_TRUE(a.ok());
  add1 = *a;
  auto via = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "via_host");
  ASSERT_TRUE(via.ok());
  f.store.SetEpochDeadline(1);
  Result<int32_t> r = via->Call(f.store, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, -7);
}

TEST(InterruptTest, BothOptionsTogether) {
  Config c;
  c.consume_fuel = true;
  c.epoch_interruption = true;
  Fixture f(c);
  Instance inst = f.Instantiate();
  auto count = inst.GetTypedFunc<int32_t(int32_t)>(f.store, "count");
  ASSERT_TRUE(count.ok());
  f.store.SetEpochDeadline(1);
  ASSERT_TRUE(f.store.SetFuel(100).ok());
  Result<int32_t> r = count->Call(f.store, 100000);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kOutOfFuel);
  ASSERT_TRUE(f.store.SetFuel(uint64_t{1} << 40).ok());
  f.engine.IncrementEpoch();
  r = count->Call(f.store, 100000);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kInterrupt);
  f.store.SetEpochDeadline(10);
  r = count->Call(f.store, 100000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 100000);
}

// --- .cwasm ---------------------------------------------------------------

TEST(InterruptTest, CwasmRecordsTheOptions) {
  Engine plain;
  absl::StatusOr<Module> m = Module::FromWat(plain, kWat);
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<std::vector<uint8_t>> bytes = m->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  // Same options: loads.
  EXPECT_TRUE(Module::Deserialize(plain, *bytes).ok());
  // Without fuel checks the code cannot run on a fuel engine, nor without
  // epoch checks on an epoch engine.
  for (const Config& c : {FuelConfig(), EpochConfig()}) {
    Engine other(c);
    absl::StatusOr<Module> d = Module::Deserialize(other, *bytes);
    ASSERT_FALSE(d.ok());
    EXPECT_TRUE(absl::StrContains(d.status().message(), "compiled with"))
        << d.status();
  }
  // And the other way round.
  Engine fuel(FuelConfig());
  absl::StatusOr<Module> fm = Module::FromWat(fuel, kWat);
  ASSERT_TRUE(fm.ok());
  absl::StatusOr<std::vector<uint8_t>> fbytes = fm->Serialize();
  ASSERT_TRUE(fbytes.ok());
  EXPECT_TRUE(Module::Deserialize(fuel, *fbytes).ok());
  absl::StatusOr<Module> back = Module::Deserialize(plain, *fbytes);
  ASSERT_FALSE(back.ok());
  EXPECT_TRUE(absl::StrContains(back.status().message(), "consume-fuel=on"))
      << back.status();
}

}  // namespace
}  // namespace kiln
