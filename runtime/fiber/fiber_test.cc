#include "runtime/fiber/fiber.h"

#include <cstdint>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "runtime/fiber/fiber_stack.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/stack_limit.h"

namespace kiln::runtime {
namespace {

constexpr size_t kStackSize = size_t{256} << 10;

TEST(FiberStackTest, GuardPageBelowUsableRange) {
  absl::StatusOr<FiberStack> s = FiberStack::Create(kStackSize);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->size(), kStackSize);
  EXPECT_EQ(s->top() - s->bottom(), kStackSize);
  EXPECT_GT(s->bottom(), s->guard_begin());
  // The usable range is writable at both ends.
  *reinterpret_cast<volatile char*>(s->bottom()) = 1;
  *reinterpret_cast<volatile char*>(s->top() - 1) = 1;
}

TEST(FiberStackTest, GuardPageFaults) {
  absl::StatusOr<FiberStack> s = FiberStack::Create(kStackSize);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DEATH(*reinterpret_cast<volatile char*>(s->bottom() - 1) = 1, "");
}

TEST(FiberTest, RunsOnItsOwnStackAndSuspends) {
  absl::StatusOr<FiberStack> s = FiberStack::Create(kStackSize);
  ASSERT_TRUE(s.ok());
  const uintptr_t bottom = s->bottom(), top = s->top();
  std::vector<int> trace;
  uintptr_t sp_in_fiber = 0;
  Fiber fiber(*std::move(s), [&](Fiber& f) {
    int local = 0;
    sp_in_fiber = reinterpret_cast<uintptr_t>(&local);
    trace.push_back(1);
    f.Suspend();
    trace.push_back(3);
    f.Suspend();
    trace.push_back(5);
  });
  EXPECT_FALSE(fiber.done());
  fiber.Resume();
  trace.push_back(2);
  EXPECT_GE(sp_in_fiber, bottom);
  EXPECT_LT(sp_in_fiber, top);
  fiber.Resume();
  trace.push_back(4);
  EXPECT_FALSE(fiber.done());
  fiber.Resume();
  EXPECT_TRUE(fiber.done());
  EXPECT_EQ(trace, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(FiberTest, SwapsTheThreadsActivationState) {
  absl::StatusOr<FiberStack> s = FiberStack::Create(kStackSize);
  ASSERT_TRUE(s.ok());
  const uintptr_t bottom = s->bottom(), top = s->top();
  // Pretend the host is inside a wasm activation.
  EntryFrame host_frame;
  SetCurrentEntryFrame(&host_frame);
  EntryFrame fiber_frame;
  EntryFrame* seen_entry = &host_frame;
  StackBounds seen_bounds;
  uintptr_t seen_floor = 0;
  EntryFrame* seen_after_resume = nullptr;
  Fiber fiber(*std::move(s), [&](Fiber& f) {
    seen_entry = CurrentEntryFrame();
    seen_bounds = CurrentThreadStackBounds();
    seen_floor = internal::tls_activation.stack_floor;
    SetCurrentEntryFrame(&fiber_frame);  // wasm entered on the fiber
    f.Suspend();
    seen_after_resume = CurrentEntryFrame();
    SetCurrentEntryFrame(nullptr);
  });
  fiber.Resume();
  EXPECT_EQ(seen_entry, nullptr);  // a fiber starts with no entries
  EXPECT_EQ(seen_bounds.low, bottom);
  EXPECT_EQ(seen_bounds.high, top);
  EXPECT_EQ(seen_floor, bottom + kHostStackReserve);
  // Back on the host: its own entry list and bounds.
  EXPECT_EQ(CurrentEntryFrame(), &host_frame);
  EXPECT_NE(CurrentThreadStackBounds().low, bottom);
  fiber.Resume();
  EXPECT_EQ(seen_after_resume, &fiber_frame);
  EXPECT_EQ(CurrentEntryFrame(), &host_frame);
  SetCurrentEntryFrame(nullptr);
}

// An entry (EnterWasm / BeginEntry, EndEntry) whose call out suspends the
// fiber, which another thread resumes: the call returns there. Out of line,
// as EnterWasm, with the entry linked before the call: the compiler may
// keep the thread pointer it read then (AArch64) across the switch.
__attribute__((noinline)) void EnterAndSuspend(Fiber& f) {
  EntryFrame frame;
  frame.prev = CurrentEntryFrame();
  SetCurrentEntryFrame(&frame);
  f.Suspend();  // resumed on another thread
  SetCurrentEntryFrameAfterCall(frame.prev);
}
// The running thread's innermost entry, its thread pointer read afresh.
__attribute__((noinline)) EntryFrame* EntryHere() {
  return CurrentEntryFrame();
}

// The entry is unlinked from the list of the thread the call returned on:
// the fiber's list is empty again wherever it runs next, and the thread
// that started the call keeps its own. (It used to be unlinked from the
// starting thread's list on AArch64: the fiber kept the returned frame, and
// the next entry at that address linked to itself.)
TEST(FiberTest, AnEntryLeftOnAnotherThreadIsUnlinkedThere) {
  absl::StatusOr<FiberStack> s = FiberStack::Create(kStackSize);
  ASSERT_TRUE(s.ok());
  EntryFrame host_frame;  // this thread is inside wasm
  SetCurrentEntryFrame(&host_frame);
  EntryFrame* after_return = &host_frame;
  EntryFrame* back_here = &host_frame;
  Fiber fiber(*std::move(s), [&](Fiber& f) {
    EnterAndSuspend(f);
    after_return = EntryHere();
    f.Suspend();
    back_here = EntryHere();
  });
  fiber.Resume();
  EXPECT_EQ(CurrentEntryFrame(), &host_frame);
  EntryFrame* other_host = &host_frame;
  std::thread([&] {
    fiber.Resume();  // the call returns on this thread
    other_host = EntryHere();
  }).join();
  EXPECT_EQ(after_return, nullptr);
  EXPECT_EQ(other_host, nullptr);
  EXPECT_EQ(CurrentEntryFrame(), &host_frame);
  fiber.Resume();
  EXPECT_TRUE(fiber.done());
  EXPECT_EQ(back_here, nullptr);
  EXPECT_EQ(CurrentEntryFrame(), &host_frame);
  SetCurrentEntryFrame(nullptr);
}

TEST(FiberTest, NestedFibers) {
  absl::StatusOr<FiberStack> s1 = FiberStack::Create(kStackSize);
  absl::StatusOr<FiberStack> s2 = FiberStack::Create(kStackSize);
  ASSERT_TRUE(s1.ok() && s2.ok());
  std::vector<int> trace;
  Fiber inner(*std::move(s2), [&](Fiber& f) {
    trace.push_back(2);
    f.Suspend();
    trace.push_back(5);
  });
  Fiber outer(*std::move(s1), [&](Fiber& f) {
    trace.push_back(1);
    inner.Resume();
    trace.push_back(3);
    f.Suspend();
    inner.Resume();
    trace.push_back(6);
  });
  outer.Resume();
  trace.push_back(4);
  outer.Resume();
  EXPECT_TRUE(outer.done());
  EXPECT_TRUE(inner.done());
  EXPECT_EQ(trace, (std::vector<int>{1, 2, 3, 4, 5, 6}));
}

TEST(FiberStackPoolTest, ReusesReleasedStacks) {
  FiberStackPool pool(kStackSize, 2);
  absl::StatusOr<FiberStack> a = pool.Acquire();
  ASSERT_TRUE(a.ok());
  const uintptr_t a_bottom = a->bottom();
  pool.Release(*std::move(a));
  EXPECT_EQ(pool.cached(), 1u);
  absl::StatusOr<FiberStack> b = pool.Acquire();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->bottom(), a_bottom);  // the same stack again
  EXPECT_EQ(pool.created(), 1u);
  absl::StatusOr<FiberStack> c = pool.Acquire();
  absl::StatusOr<FiberStack> d = pool.Acquire();
  ASSERT_TRUE(c.ok() && d.ok());
  EXPECT_EQ(pool.created(), 3u);
  pool.Release(*std::move(b));
  pool.Release(*std::move(c));
  pool.Release(*std::move(d));  // beyond max_cached: unmapped
  EXPECT_EQ(pool.cached(), 2u);
}

TEST(FiberStackPoolTest, AFinishedFibersStackGoesBack) {
  FiberStackPool pool(kStackSize, 4);
  for (int i = 0; i < 100; ++i) {
    absl::StatusOr<FiberStack> s = pool.Acquire();
    ASSERT_TRUE(s.ok());
    int runs = 0;
    Fiber fiber(*std::move(s), [&](Fiber&) { ++runs; });
    fiber.Resume();
    ASSERT_TRUE(fiber.done());
    EXPECT_EQ(runs, 1);
    pool.Release(std::move(fiber).TakeStack());
  }
  EXPECT_EQ(pool.created(), 1u);
}

}  // namespace
}  // namespace kiln::runtime
