// Promise::Set on one thread against the end of the wait on another (issue
// 12): once a call's wait ends -- the call dropped (cancelled) or polled
// past the wait -- no thread may still run, or be about to run, the waker
// that wait installed. Set runs the waker after releasing the future's
// lock; the store's driver (its waker, its next call, or another store's
// call: IdleAsyncDrivers) is reused as soon as the wait ends. Also run
// under ThreadSanitizer (scripts/tsan_test.sh).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"

namespace kiln {
namespace {

constexpr std::string_view kWat = R"(
  (module
    (import "host" "wait" (func $wait (param i32) (result i32)))
    (func (export "wait_add1") (param i32) (result i32)
      (i32.add (call $wait (local.get 0)) (i32.const 1))))
)";

// The promises of the store's waits (the test plays the event loop).
struct Pending {
  std::vector<Promise<int32_t>> promises;
};

struct Harness {
  Harness() : engine(AsyncConfig()), linker(engine) {
    EXPECT_TRUE(linker
                    .FuncWrapAsync("host", "wait",
                                   [](Caller<Pending>& c, int32_t) {
                                     auto [f, p] = MakeFuture<int32_t>();
                                     c.data().promises.push_back(std::move(p));
                                     return std::move(f);
                                   })
                    .ok());
    module.emplace(*Module::FromWat(engine, kWat));
  }
  static Config AsyncConfig() {
    Config c;
    c.async_support = true;
    return c;
  }
  // A new store (its first async call takes the driver a dropped store
  // parked, when there is one) and its "wait_add1".
  void NewStore() {
    fn.reset();
    store.reset();
    store.emplace(engine, Pending{});
    Result<Instance> i = linker.InstantiateAsync(*store, *module).Run([] {});
    ASSERT_TRUE(i.ok()) << i.status();
    fn.emplace(*i->GetTypedFunc<int32_t(int32_t)>(*store, "wait_add1"));
  }
  Promise<int32_t> TakePromise() {
    EXPECT_EQ(store->data().promises.size(), 1u);
    Promise<int32_t> p = std::move(store->data().promises.back());
    store->data().promises.clear();
    return p;
  }

  Engine engine;
  Linker<Pending> linker;
  std::optional<Module> module;
  std::optional<Store<Pending>> store;
  std::optional<TypedFunc<int32_t(int32_t)>> fn;
};

// A waker that, on the setting thread, reports that it started and then
// takes a while to return: whatever ends the wait must wait it out.
struct SlowWaker {
  std::atomic<bool> started{false};
  std::atomic<bool> returned{false};
  void Run() {
    started.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    returned.store(true);
  }
  void AwaitStart() const {
    while (!started.load()) std::this_thread::yield();
  }
};

TEST(WakerRaceTest, DroppingACallWaitsOutItsWakerOnTheSettingThread) {
  Harness s;
  s.NewStore();
  SlowWaker w;
  std::optional<AsyncCall<int32_t>> call(s.fn->CallAsync(*s.store, 1));
  call->SetWaker([&w] { w.Run(); });
  ASSERT_EQ(call->Poll(), AsyncPoll::kPending);
  std::thread setter([p = s.TakePromise()]() mutable { p.Set(5); });
  w.AwaitStart();
  call.reset();  // cancels the wait, whose waker is running on `setter`
  EXPECT_TRUE(w.returned.load());
  setter.join();
  // The driver serves the next call as usual.
  AsyncCall<int32_t> next = s.fn->CallAsync(*s.store, 1);
  ASSERT_EQ(next.Poll(), AsyncPoll::kPending);
  s.TakePromise().Set(9);
  ASSERT_EQ(next.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*next.TakeResult(), 10);
}

TEST(WakerRaceTest, AFinishedWaitDoesNotReturnWhileItsWakerRuns) {
  Harness s;
  s.NewStore();
  SlowWaker w;
  AsyncCall<int32_t> call = s.fn->CallAsync(*s.store, 1);
  call.SetWaker([&w] { w.Run(); });
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  std::thread setter([p = s.TakePromise()]() mutable { p.Set(5); });
  w.AwaitStart();
  // The future is ready: this Poll finishes the call, but only once the
  // waker returned (the driver's waker is reset for the next call).
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  EXPECT_TRUE(w.returned.load());
  EXPECT_EQ(*call.TakeResult(), 6);
  setter.join();
}

// A waker may poll its call, or drop it, inline on the setting thread: the
// wait then ends on the thread that is running the waker, and does not
// wait for itself.
TEST(WakerRaceTest, AWakerMayPollOrDropItsCallInline) {
  Harness s;
  s.NewStore();
  std::optional<AsyncCall<int32_t>> call(s.fn->CallAsync(*s.store, 1));
  std::optional<Result<int32_t>> result;
  call->SetWaker([&] {
    ASSERT_EQ(call->Poll(), AsyncPoll::kReady);
    result.emplace(call->TakeResult());
  });
  ASSERT_EQ(call->Poll(), AsyncPoll::kPending);
  std::thread([p = s.TakePromise()]() mutable { p.Set(5); }).join();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(**result, 6);

  call.emplace(s.fn->CallAsync(*s.store, 1));
  call->SetWaker([&] { call.reset(); });
  ASSERT_EQ(call->Poll(), AsyncPoll::kPending);
  std::thread([p = s.TakePromise()]() mutable { p.Set(5); }).join();
  EXPECT_FALSE(call.has_value());
}

// Many rounds of: a call waits; another thread sets its promise while this
// one drops the call, then at once starts the next call on the same driver
// with a new waker (every 8 rounds the store is dropped too, and the next
// call runs on a new store, which takes the dropped store's driver). The dropped call's waker runs at most once, the next
// call's never from the other thread (its counter is a plain int: under
// TSan any such run is also a reported race).
TEST(WakerRaceTest, CancellingAWaitRacesWithSetOnAnotherThread) {
  constexpr int kRounds = 1000;
  Harness s;
  std::optional<Promise<int32_t>> slot;  // handed to `setter` each round
  std::atomic<int> go{0};                // round published for `setter`
  std::atomic<int> armed{0};             // round `setter` is about to set
  std::atomic<int> done{0};              // round `setter` finished
  std::thread setter([&] {
    for (int round = 1; round <= kRounds; ++round) {
      while (go.load(std::memory_order_acquire) != round) {
        std::this_thread::yield();
      }
      Promise<int32_t> p = *std::move(slot);
      armed.store(round, std::memory_order_release);
      p.Set(round);
      done.store(round, std::memory_order_release);
    }
  });
  int stale_wakes = 0;
  s.NewStore();
  for (int round = 1; round <= kRounds; ++round) {
    int first_wakes = 0;
    int next_wakes = 0;
    {
      AsyncCall<int32_t> call = s.fn->CallAsync(*s.store, 0);
      call.SetWaker([&first_wakes] { ++first_wakes; });
      ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
      slot.emplace(s.TakePromise());
      go.store(round, std::memory_order_release);
      while (armed.load(std::memory_order_acquire) != round) {
        std::this_thread::yield();
      }
    }  // dropped: cancelled while `setter` sets the promise
    if (round % 8 == 0) s.NewStore();
    AsyncCall<int32_t> next = s.fn->CallAsync(*s.store, 0);
    next.SetWaker([&next_wakes] { ++next_wakes; });
    ASSERT_EQ(next.Poll(), AsyncPoll::kPending);
    Promise<int32_t> p = s.TakePromise();
    while (done.load(std::memory_order_acquire) != round) {
      std::this_thread::yield();
    }
    EXPECT_LE(first_wakes, 1);
    const int stale = next_wakes;
    stale_wakes += stale;
    p.Set(round);  // on this thread: next's own wake
    EXPECT_EQ(next_wakes, stale + 1);
    ASSERT_EQ(next.Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*next.TakeResult(), round + 1);
  }
  setter.join();
  EXPECT_EQ(stale_wakes, 0);
}

}  // namespace
}  // namespace kiln
