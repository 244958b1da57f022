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
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"

namespace kiln {
namespace {

constexpr std::string_view kWat = R"(
  (module
    (import "host" "wait" (func $wait (param i32) (result i32)))
    (func (export "wait_add1") (param i32) (result i32)
      (i32.add (call $wait (local.get 0)) (i32.const 1)))
    (func (export "wait_twice_add1") (param i32) (result i32)
      (i32.add (call $wait (call $wait (local.get 0))) (i32.const 1))))
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
    twice.reset();
    store.reset();
    store.emplace(engine, Pending{});
    Result<Instance> i = linker.InstantiateAsync(*store, *module).Run([] {});
    ASSERT_TRUE(i.ok()) << i.status();
    fn.emplace(*i->GetTypedFunc<int32_t(int32_t)>(*store, "wait_add1"));
    twice.emplace(
        *i->GetTypedFunc<int32_t(int32_t)>(*store, "wait_twice_add1"));
  }
  // The store's next call waits and wakes as usual: its waker runs once
  // and it finishes.
  void ExpectNextCallWakes() {
    int wakes = 0;
    AsyncCall<int32_t> next = fn->CallAsync(*store, 1);
    next.SetWaker([&wakes] { ++wakes; });
    ASSERT_EQ(next.Poll(), AsyncPoll::kPending);
    TakePromise().Set(9);
    EXPECT_EQ(wakes, 1);
    ASSERT_EQ(next.Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*next.TakeResult(), 10);
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
  std::optional<TypedFunc<int32_t(int32_t)>> twice;
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

// Sets one promise a round on a thread of its own, in step with the test
// (spin barriers): Start hands the round's promise over; AwaitArmed
// returns when the setter is about to set it (after `head_start` spins
// times the round mod 32: a varying delay), AwaitDone once Set returned.
class RoundSetter {
 public:
  RoundSetter(int rounds, int head_start)
      : thread_([this, rounds, head_start] { Loop(rounds, head_start); }) {}
  ~RoundSetter() {
    go_.store(-1, std::memory_order_release);  // ends an unfinished loop
    thread_.join();
  }
  void Start(int round, Promise<int32_t> promise) {
    slot_.emplace(std::move(promise));
    go_.store(round, std::memory_order_release);
  }
  void AwaitArmed(int round) const { AwaitRound(armed_, round); }
  void AwaitDone(int round) const { AwaitRound(done_, round); }

 private:
  static void AwaitRound(const std::atomic<int>& a, int round) {
    while (a.load(std::memory_order_acquire) != round) {
      std::this_thread::yield();
    }
  }
  void Loop(int rounds, int head_start) {
    for (int round = 1; round <= rounds; ++round) {
      int go;
      while ((go = go_.load(std::memory_order_acquire)) != round) {
        if (go < 0) return;
        std::this_thread::yield();
      }
      Promise<int32_t> p = *std::move(slot_);
      armed_.store(round, std::memory_order_release);
      for (int spin = 0; spin < (round % 32) * head_start; ++spin) {
        std::atomic_signal_fence(std::memory_order_seq_cst);  // kept
      }
      p.Set(round);
      done_.store(round, std::memory_order_release);
    }
  }
  std::optional<Promise<int32_t>> slot_;  // handed over each round
  std::atomic<int> go_{0};                // round published for the setter
  std::atomic<int> armed_{0};             // round it is about to set
  std::atomic<int> done_{0};              // round it finished
  std::thread thread_;                    // last: uses the members above
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
  s.ExpectNextCallWakes();
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
  RoundSetter setter(kRounds, /*head_start=*/0);
  int stale_wakes = 0;
  s.NewStore();
  for (int round = 1; round <= kRounds; ++round) {
    int first_wakes = 0;
    int next_wakes = 0;
    {
      AsyncCall<int32_t> call = s.fn->CallAsync(*s.store, 0);
      call.SetWaker([&first_wakes] { ++first_wakes; });
      ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
      setter.Start(round, s.TakePromise());
      setter.AwaitArmed(round);
    }  // dropped: cancelled while `setter` sets the promise
    if (round % 8 == 0) s.NewStore();
    AsyncCall<int32_t> next = s.fn->CallAsync(*s.store, 0);
    next.SetWaker([&next_wakes] { ++next_wakes; });
    ASSERT_EQ(next.Poll(), AsyncPoll::kPending);
    Promise<int32_t> p = s.TakePromise();
    setter.AwaitDone(round);
    EXPECT_LE(first_wakes, 1);
    const int stale = next_wakes;
    stale_wakes += stale;
    p.Set(round);  // on this thread: next's own wake
    EXPECT_EQ(next_wakes, stale + 1);
    ASSERT_EQ(next.Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*next.TakeResult(), round + 1);
  }
  EXPECT_EQ(stale_wakes, 0);
}

// Replacing a call's waker between Polls (AsyncCall::SetWaker) while a Set
// runs the old one on another thread, or while it runs further up this
// thread's stack.

// What a waker did: its runs, and whether it was destroyed, or its
// captures changed, while it ran (the waker checks its capture after the
// middle of its run; under ASan a destroyed waker is also a
// heap-use-after-free, under TSan a replacement racing its run a race).
struct RunProbe {
  std::atomic<int> runs{0};
  std::atomic<bool> running{false};
  std::atomic<int> torn{0};
  std::atomic<int> destroyed{0};
  std::atomic<int> destroyed_running{0};
};

// A waker's capture that reports its destruction to its probe.
class ProbeRef {
 public:
  explicit ProbeRef(RunProbe* probe) : probe_(probe) {}
  ProbeRef(ProbeRef&& other) noexcept
      : probe_(std::exchange(other.probe_, nullptr)) {}
  ProbeRef& operator=(ProbeRef&&) = delete;
  ~ProbeRef() {
    if (probe_ == nullptr) return;
    if (probe_->running.load()) probe_->destroyed_running.fetch_add(1);
    probe_->destroyed.fetch_add(1);
  }
  RunProbe* get() const { return probe_; }

 private:
  RunProbe* probe_;
};

// A waker that counts its runs in `probe` and runs `middle` (if any)
// halfway.
absl::AnyInvocable<void()> ProbedWaker(
    RunProbe& probe, std::function<void()> middle = nullptr) {
  return [ref = ProbeRef(&probe), middle = std::move(middle)] {
    RunProbe* p = ref.get();
    p->running.store(true);
    p->runs.fetch_add(1);
    if (middle) middle();
    if (ref.get() != p) p->torn.fetch_add(1);
    p->running.store(false);
  };
}

void ExpectIntact(const RunProbe& p, const char* name) {
  EXPECT_EQ(p.torn.load(), 0) << name;
  EXPECT_EQ(p.destroyed_running.load(), 0) << name;
}

// The old waker sleeps in its run on the setting thread while this thread
// replaces it: it runs to its end intact and is destroyed after it
// returned (by the setting thread); the replacement does not run for that
// wake (the old one is its run), and the call's next wake runs the new one.
TEST(WakerRaceTest, ReplacingTheWakerWhileASetRunsItOnAnotherThread) {
  Harness s;
  s.NewStore();
  RunProbe old_probe;
  RunProbe new_probe;
  std::atomic<bool> started{false};
  AsyncCall<int32_t> call = s.twice->CallAsync(*s.store, 1);
  call.SetWaker(ProbedWaker(old_probe, [&started] {
    started.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }));
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  std::thread setter([p = s.TakePromise()]() mutable { p.Set(5); });
  while (!started.load()) std::this_thread::yield();
  call.SetWaker(ProbedWaker(new_probe));  // the old one is sleeping
  setter.join();
  EXPECT_EQ(old_probe.runs.load(), 1);
  ExpectIntact(old_probe, "old");
  EXPECT_EQ(old_probe.destroyed.load(), 1);
  EXPECT_EQ(new_probe.runs.load(), 0);
  EXPECT_EQ(new_probe.destroyed.load(), 0);
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);  // the second wait
  std::thread([p = s.TakePromise()]() mutable { p.Set(7); }).join();
  EXPECT_EQ(new_probe.runs.load(), 1);
  EXPECT_EQ(old_probe.runs.load(), 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*call.TakeResult(), 8);
  ExpectIntact(new_probe, "new");
  EXPECT_EQ(new_probe.destroyed.load(), 1);  // with the finished call
}

// A waker that polls its call inline may set the next waker first, as a
// Rust executor hands every poll its current waker: the running waker is
// replaced under itself, and still finishes intact.
TEST(WakerRaceTest, AWakerMayReplaceItselfAndPollInline) {
  Harness s;
  s.NewStore();
  RunProbe first;
  RunProbe second;
  std::optional<AsyncCall<int32_t>> call(s.twice->CallAsync(*s.store, 1));
  AsyncPoll inline_poll = AsyncPoll::kReady;
  call->SetWaker(ProbedWaker(first, [&] {
    call->SetWaker(ProbedWaker(second));
    inline_poll = call->Poll();  // on to the second wait
  }));
  ASSERT_EQ(call->Poll(), AsyncPoll::kPending);
  std::thread([p = s.TakePromise()]() mutable { p.Set(5); }).join();
  EXPECT_EQ(inline_poll, AsyncPoll::kPending);
  EXPECT_EQ(first.runs.load(), 1);
  ExpectIntact(first, "first");
  EXPECT_EQ(first.destroyed.load(), 1);
  EXPECT_EQ(second.runs.load(), 0);
  std::thread([p = s.TakePromise()]() mutable { p.Set(7); }).join();
  EXPECT_EQ(second.runs.load(), 1);
  EXPECT_EQ(first.runs.load(), 1);
  ASSERT_EQ(call->Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*call->TakeResult(), 8);
}

// A waker may even drop the call and its store inline on the setting
// thread: the store's driver is parked for the next store while the waker
// still runs from it; the waker finishes intact and is destroyed once it
// returned (under ASan a use of the freed or reused slot is reported).
TEST(WakerRaceTest, AWakerMayDropItsStoreInline) {
  Harness s;
  s.NewStore();
  RunProbe probe;
  std::optional<AsyncCall<int32_t>> call(s.fn->CallAsync(*s.store, 1));
  call->SetWaker(ProbedWaker(probe, [&] {
    call.reset();
    s.fn.reset();
    s.twice.reset();
    s.store.reset();
  }));
  ASSERT_EQ(call->Poll(), AsyncPoll::kPending);
  std::thread([p = s.TakePromise()]() mutable { p.Set(5); }).join();
  EXPECT_FALSE(s.store.has_value());
  EXPECT_EQ(probe.runs.load(), 1);
  ExpectIntact(probe, "waker");
  EXPECT_EQ(probe.destroyed.load(), 1);
  // The next store takes the parked driver; its calls wake as usual.
  s.NewStore();
  s.ExpectNextCallWakes();
}

// A wake that found no waker is not lost: the waker set after it runs at
// once (the embedder polled, then set the waker).
TEST(WakerRaceTest, AWakerSetAfterItsWakeRunsAtOnce) {
  Harness s;
  s.NewStore();
  AsyncCall<int32_t> call = s.fn->CallAsync(*s.store, 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
  std::thread([p = s.TakePromise()]() mutable { p.Set(5); }).join();
  int wakes = 0;
  call.SetWaker([&wakes] { ++wakes; });
  EXPECT_EQ(wakes, 1);
  ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
  EXPECT_EQ(*call.TakeResult(), 6);
}

// A wake that comes while the waker runs on another thread does not run
// it a second time beside itself: the running thread runs it once more
// when it returned. Here the waker (on `setter`) polls the call inline to
// its second wait, whose promise this thread sets while the waker is
// still running.
TEST(WakerRaceTest, AWakeWhileTheWakerRunsRunsItAgainAfterwards) {
  Harness s;
  s.NewStore();
  RunProbe probe;
  std::optional<AsyncCall<int32_t>> call(s.twice->CallAsync(*s.store, 1));
  std::optional<Result<int32_t>> result;
  std::atomic<bool> polled{false};
  std::atomic<bool> second_set{false};
  std::atomic<int> overlaps{0};
  std::atomic<bool> inside{false};
  call->SetWaker(ProbedWaker(probe, [&] {
    if (inside.exchange(true)) overlaps.fetch_add(1);
    if (call->Poll() == AsyncPoll::kPending) {
      polled.store(true);
      // Not this call's Poll or drop: the other thread only sets.
      while (!second_set.load()) std::this_thread::yield();
    } else {
      result.emplace(call->TakeResult());
    }
    inside.store(false);
  }));
  ASSERT_EQ(call->Poll(), AsyncPoll::kPending);
  std::thread setter([p = s.TakePromise()]() mutable { p.Set(5); });
  while (!polled.load()) std::this_thread::yield();
  s.TakePromise().Set(7);  // the waker is running on `setter`
  EXPECT_EQ(probe.runs.load(), 1);  // not run here
  second_set.store(true);
  setter.join();
  EXPECT_EQ(probe.runs.load(), 2);
  EXPECT_EQ(overlaps.load(), 0);
  ExpectIntact(probe, "waker");
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(**result, 8);
}

// Many rounds of: a call waits; another thread sets its promise while this
// one replaces the waker twice. Exactly one of the three wakers runs, once
// (the one set when the wake started; a replacement while it runs does not
// run too). The wakers count in plain ints and synchronize nothing, so
// under TSan a replacement that is not ordered with the run of the waker
// it replaces is a reported race (main's code: SetWaker's write of waker_
// against Wake's call of it, at once).
TEST(WakerRaceTest, ReplacingTheWakerRacesWithSetOnAnotherThread) {
  constexpr int kRounds = 1000;
  Harness s;
  // A varying head start for the replacements: some land before the
  // wake, some while it runs, some after.
  RoundSetter setter(kRounds, /*head_start=*/200);
  s.NewStore();
  int total[3] = {0, 0, 0};
  for (int round = 1; round <= kRounds; ++round) {
    int runs[3] = {0, 0, 0};
    AsyncCall<int32_t> call = s.fn->CallAsync(*s.store, 0);
    call.SetWaker([&runs] { ++runs[0]; });
    ASSERT_EQ(call.Poll(), AsyncPoll::kPending);
    setter.Start(round, s.TakePromise());
    setter.AwaitArmed(round);
    call.SetWaker([&runs] { ++runs[1]; });
    call.SetWaker([&runs] { ++runs[2]; });
    setter.AwaitDone(round);
    EXPECT_EQ(runs[0] + runs[1] + runs[2], 1) << round;
    for (int k = 0; k < 3; ++k) total[k] += runs[k];
    ASSERT_EQ(call.Poll(), AsyncPoll::kReady);
    EXPECT_EQ(*call.TakeResult(), round + 1);
    if (round % 8 == 0) s.NewStore();
  }
  // Which one ran is the race's; the mix, for the log.
  std::printf("wakes by the first waker: %d, second: %d, third: %d\n",
              total[0], total[1], total[2]);
}

}  // namespace
}  // namespace kiln
