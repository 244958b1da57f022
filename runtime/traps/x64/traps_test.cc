// Traps end to end: generated code that faults, registered with trap
// tables, entered through EnterWasm.
#include <signal.h>
#include <sys/mman.h>

#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "runtime/code/code_registry.h"

#include "gtest/gtest.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/memory/linear_memory.h"
#include "runtime/traps/entry.h"
#include "runtime/traps/stack_limit.h"
#include "runtime/traps/x64/test_module.h"

namespace kiln::runtime {
namespace {

using abi::TrapCode;
using abi::VMOffsets;
using namespace asmjit::x86;  // registers

// Function indices of the test module.
enum Func : uint32_t {
  kDiv = 0,          // (vmctx, caller, a, b) -> a / b (i32)
  kLoad = 1,         // (vmctx, caller, index) -> i32 load from memory 0
  kUnreachable = 2,  // (vmctx, caller) -> ud2
  kCallsUnreachable = 3,
  kCallHost = 4,     // (vmctx, caller, host_fn, arg) -> host_fn(vmctx, vmctx, arg)
  kRecurse = 5,      // (vmctx, caller, depth) -> depth, with a stack check
  kAdd = 6,          // (vmctx, caller, a, b) -> a + b
  kAsDouble = 7,     // (vmctx, caller, a) -> (double) a
  kUncheckedLoad = 8,  // like kLoad but not a trap site (a "compiler bug")
};

using I64Fn = int64_t (*)(void*, void*, uint64_t, uint64_t);
using HostFn = int64_t (*)(void*, void*, uint64_t);

constexpr VMOffsets kOffsets(abi::VMOffsetsCounts{.num_defined_memories = 1});

class TrapsTest : public ::testing::Test {
 public:
  // For host functions that call back into wasm.
  template <typename R = int64_t>
  std::optional<Trap> CallForHost(Func f, R* result, uint64_t a = 0,
                                  uint64_t b = 0) {
    return Call(f, result, a, b);
  }

 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(InitTrapHandling().ok());
    module_ = new testing::TestModule();
    Build(*module_);
    ASSERT_TRUE(module_->Finish().ok());
  }
  static void TearDownTestSuite() {
    delete module_;
    module_ = nullptr;
  }

  void SetUp() override {
    auto memory = LinearMemory::Create(1, 2);
    ASSERT_TRUE(memory.ok());
    memory_ = *std::move(memory);
    std::memset(vmctx_, 0, sizeof(vmctx_));
    auto* header = reinterpret_cast<abi::VMContextHeader*>(vmctx_);
    header->magic = abi::kVMContextMagic;
    header->runtime_limits = &limits_;
    memory_->BindDefinition(reinterpret_cast<abi::VMMemoryDefinition*>(
        vmctx_ + kOffsets.DefinedMemory(0)));
  }

  static void Build(testing::TestModule& m) {
    Assembler& a = m.a();
    std::map<uint32_t, asmjit::Label> labels;

    labels[kDiv] = m.BeginFunction(kDiv);
    a.push(rbp);
    a.mov(rbp, rsp);
    a.mov(eax, edx);
    a.cdq();
    m.TrapHere(TrapCode::kIntegerDivisionByZero);
    a.idiv(ecx);
    a.pop(rbp);
    a.ret();
    m.EndFunction();

    for (Func f : {kLoad, kUncheckedLoad}) {
      m.BeginFunction(f);
      a.push(rbp);
      a.mov(rbp, rsp);
      a.mov(rax, ptr(rdi, kOffsets.DefinedMemoryBase(0)));
      a.mov(edx, edx);  // zero-extend the i32 index
      if (f == kLoad) m.TrapHere(TrapCode::kMemoryOutOfBounds);
      a.mov(eax, dword_ptr(rax, rdx));
      a.pop(rbp);
      a.ret();
      m.EndFunction();
    }

    asmjit::Label unreachable = m.BeginFunction(kUnreachable);
    a.push(rbp);
    a.mov(rbp, rsp);
    m.TrapHere(TrapCode::kUnreachableCodeReached);
    a.ud2();
    m.EndFunction();

    m.BeginFunction(kCallsUnreachable);
    a.push(rbp);
    a.mov(rbp, rsp);
    a.call(unreachable);
    a.pop(rbp);
    a.ret();
    m.EndFunction();

    m.BeginFunction(kCallHost);
    a.push(rbp);
    a.mov(rbp, rsp);
    a.mov(rax, rdx);
    a.mov(rdx, rcx);
    a.mov(rsi, rdi);
    a.call(rax);
    a.pop(rbp);
    a.ret();
    m.EndFunction();

    // The prologue stack check the backend will emit.
    asmjit::Label recurse = m.BeginFunction(kRecurse);
    asmjit::Label ok = a.newLabel();
    asmjit::Label done = a.newLabel();
    a.push(rbp);
    a.mov(rbp, rsp);
    a.mov(rax, ptr(rdi, VMOffsets::kRuntimeLimits));
    a.cmp(rsp, ptr(rax, VMOffsets::kRuntimeLimitsStackLimit));
    a.jae(ok);
    m.TrapHere(TrapCode::kStackOverflow);
    a.ud2();
    a.bind(ok);
    a.sub(rsp, 48);
    a.xor_(eax, eax);
    a.test(rdx, rdx);
    a.jz(done);
    a.dec(rdx);
    a.call(recurse);
    a.inc(rax);
    a.bind(done);
    a.mov(rsp, rbp);
    a.pop(rbp);
    a.ret();
    m.EndFunction();

    m.BeginFunction(kAdd);
    a.lea(rax, ptr(rdx, rcx));
    a.ret();
    m.EndFunction();

    m.BeginFunction(kAsDouble);
    a.cvtsi2sd(xmm0, rdx);
    a.ret();
    m.EndFunction();
  }

  template <typename R = int64_t>
  std::optional<Trap> Call(Func f, R* result, uint64_t a = 0, uint64_t b = 0) {
    auto fn = module_->Function<R (*)(void*, void*, uint64_t, uint64_t)>(f);
    return CallWasm(fn, result, &limits_, static_cast<void*>(vmctx_),
                    static_cast<void*>(vmctx_), a, b);
  }

  // Asserts the process can still run wasm after a trap.
  void ExpectHealthy() {
    int64_t sum = 0;
    EXPECT_FALSE(Call(kAdd, &sum, 40, 2).has_value());
    EXPECT_EQ(sum, 42);
    EXPECT_EQ(limits_.stack_limit, abi::kStackLimitUnset);
    EXPECT_FALSE(InWasmActivation());
  }

  static testing::TestModule* module_;
  std::unique_ptr<LinearMemory> memory_;
  abi::VMRuntimeLimits limits_;
  alignas(16) uint8_t vmctx_[kOffsets.size()];
};

testing::TestModule* TrapsTest::module_ = nullptr;

TEST_F(TrapsTest, NormalCallsReturnValues) {
  int64_t q = 0;
  EXPECT_FALSE(Call(kDiv, &q, 42, 5).has_value());
  EXPECT_EQ(q, 8);
  double d = 0;
  EXPECT_FALSE(Call(kAsDouble, &d, 7).has_value());
  EXPECT_EQ(d, 7.0);
  memory_->base()[8] = 0x2a;
  int64_t loaded = 0;
  EXPECT_FALSE(Call(kLoad, &loaded, 8).has_value());
  EXPECT_EQ(loaded, 0x2a);
  ExpectHealthy();
}

TEST_F(TrapsTest, DivideByZeroIsSigfpeTrap) {
  int64_t q = -1;
  std::optional<Trap> trap = Call(kDiv, &q, 1, 0);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(trap->signal, SIGFPE);
  EXPECT_EQ(q, -1);  // untouched
  ASSERT_EQ(trap->backtrace.size(), 1u);
  EXPECT_EQ(trap->backtrace[0].func_index, kDiv);
  EXPECT_EQ(trap->backtrace[0].owner, module_);
  EXPECT_EQ(trap->backtrace[0].pc, trap->pc);
  ExpectHealthy();
}

TEST_F(TrapsTest, LoadPastMemoryIsOutOfBounds) {
  for (uint64_t index : {uint64_t{65536}, uint64_t{65533}, uint64_t{0x7fffffff},
                         uint64_t{0xfffffffe}}) {
    int64_t value = 0;
    std::optional<Trap> trap = Call(kLoad, &value, index);
    ASSERT_TRUE(trap.has_value()) << index;
    EXPECT_EQ(trap->code, TrapCode::kMemoryOutOfBounds);
    EXPECT_EQ(trap->signal, SIGSEGV);
    EXPECT_TRUE(memory_->ContainsAddress(trap->fault_address));
    EXPECT_GE(trap->fault_address,
              reinterpret_cast<uintptr_t>(memory_->base()) + 65536);
    ASSERT_EQ(trap->backtrace.size(), 1u);
    EXPECT_EQ(trap->backtrace[0].func_index, kLoad);
  }
  // After growing, the same index is in bounds.
  EXPECT_EQ(memory_->Grow(1), 1);
  int64_t value = -1;
  EXPECT_FALSE(Call(kLoad, &value, 65536).has_value());
  EXPECT_EQ(value, 0);
  ExpectHealthy();
}

TEST_F(TrapsTest, Ud2IsUnreachableWithBacktrace) {
  int64_t unused;
  std::optional<Trap> trap = Call(kCallsUnreachable, &unused);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kUnreachableCodeReached);
  EXPECT_EQ(trap->signal, SIGILL);
  ASSERT_EQ(trap->backtrace.size(), 2u);
  EXPECT_EQ(trap->backtrace[0].func_index, kUnreachable);
  EXPECT_EQ(trap->backtrace[0].func_offset, 4u);  // push rbp; mov rbp, rsp
  EXPECT_EQ(trap->backtrace[1].func_index, kCallsUnreachable);
  // The return address right after `call` (push 1 + mov 3 + call 5 bytes).
  EXPECT_EQ(trap->backtrace[1].func_offset, 9u);
  EXPECT_EQ(trap->backtrace[1].range_offset,
            module_->FunctionStart(kCallsUnreachable) + 9u);
  ExpectHealthy();
}

TEST_F(TrapsTest, RepeatedTrapsStayHealthy) {
  for (int i = 0; i < 1000; ++i) {
    int64_t unused;
    std::optional<Trap> trap = Call(i % 2 ? kDiv : kUnreachable, &unused, 1, 0);
    ASSERT_TRUE(trap.has_value());
  }
  ExpectHealthy();
}

// --- Host functions called from wasm.

int64_t HostRaisesIntegerOverflow(void*, void*, uint64_t) {
  RaiseTrap(TrapCode::kIntegerOverflow);
}

TEST_F(TrapsTest, RaiseTrapFromHostFunction) {
  int64_t unused;
  std::optional<Trap> trap =
      Call(kCallHost, &unused,
           reinterpret_cast<uint64_t>(&HostRaisesIntegerOverflow), 0);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kIntegerOverflow);
  EXPECT_EQ(trap->signal, 0);
  ASSERT_GE(trap->backtrace.size(), 1u);
  EXPECT_EQ(trap->backtrace[0].func_index, kCallHost);
  ExpectHealthy();
}

TEST_F(TrapsTest, RaiseTrapUsesRecordedExitFrame) {
  // A backend that records its exit frame: simulate by a host function that
  // stores the wasm caller's fp/pc (its own frame's saved rbp / return pc).
  static abi::VMRuntimeLimits* limits;
  limits = &limits_;
  struct Host {
    __attribute__((noinline)) static int64_t Fn(void*, void*, uint64_t) {
      auto* frame = static_cast<uintptr_t*>(__builtin_frame_address(0));
      limits->last_wasm_exit_fp = frame[0];
      limits->last_wasm_exit_pc = frame[1];
      RaiseTrap(TrapCode::kTableOutOfBounds);
    }
  };
  int64_t unused;
  std::optional<Trap> trap =
      Call(kCallHost, &unused, reinterpret_cast<uint64_t>(&Host::Fn), 0);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kTableOutOfBounds);
  ASSERT_EQ(trap->backtrace.size(), 1u);
  EXPECT_EQ(trap->backtrace[0].func_index, kCallHost);
  EXPECT_EQ(limits_.last_wasm_exit_fp, 0u);  // restored
  ExpectHealthy();
}

// (d) host -> wasm -> host -> wasm.
TrapsTest* g_test = nullptr;

int64_t HostCallsBackIntoWasm(void*, void*, uint64_t arg) {
  int64_t result = 0;
  {
    std::optional<Trap> inner = g_test->CallForHost(kUnreachable, &result);
    // The backtrace reaches through this host frame into the outer
    // activation: [kUnreachable, kCallHost].
    if (!inner.has_value() || inner->code != TrapCode::kUnreachableCodeReached ||
        inner->backtrace.size() != 2 ||
        inner->backtrace[0].func_index != kUnreachable ||
        inner->backtrace[1].func_index != kCallHost) {
      return -1;
    }
  }
  if (g_test->CallForHost(kAdd, &result, arg, 100).has_value()) return -2;
  return result;
}

int64_t HostPropagatesInnerTrap(void*, void*, uint64_t) {
  abi::TrapCode code;
  {
    int64_t result = 0;
    std::optional<Trap> inner = g_test->CallForHost(kDiv, &result, 1, 0);
    if (!inner.has_value()) return -1;
    code = inner->code;
  }  // `inner` destroyed before unwinding
  RaiseTrap(code);
}

TEST_F(TrapsTest, NestedEntries) {
  g_test = this;
  int64_t result = 0;
  EXPECT_FALSE(Call(kCallHost, &result,
                    reinterpret_cast<uint64_t>(&HostCallsBackIntoWasm), 5)
                   .has_value());
  EXPECT_EQ(result, 105);

  std::optional<Trap> trap = Call(
      kCallHost, &result, reinterpret_cast<uint64_t>(&HostPropagatesInnerTrap), 0);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(trap->signal, 0);  // re-raised by the host
  ASSERT_EQ(trap->backtrace.size(), 1u);
  EXPECT_EQ(trap->backtrace[0].func_index, kCallHost);
  ExpectHealthy();
}

TEST_F(TrapsTest, StackOverflowFromPrologueCheck) {
  int64_t depth = 0;
  EXPECT_FALSE(Call(kRecurse, &depth, 1000).has_value());
  EXPECT_EQ(depth, 1000);
  std::optional<Trap> trap = Call(kRecurse, &depth, uint64_t{1} << 40);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kStackOverflow);
  EXPECT_EQ(trap->signal, SIGILL);
  EXPECT_TRUE(trap->backtrace_truncated);
  ASSERT_GE(trap->backtrace.size(), 100u);
  for (const WasmFrame& f : trap->backtrace) EXPECT_EQ(f.func_index, kRecurse);
  ExpectHealthy();
}

TEST_F(TrapsTest, WithoutLimitsTheLimitIsUnsetAndChecksFail) {
  // Entering with limits left unset by a caller that bypasses EnterWasm's
  // stack-limit handling: every prologue check fails safe.
  limits_.stack_limit = abi::kStackLimitUnset;
  auto fn = module_->Function<I64Fn>(kRecurse);
  WasmCall call;
  call.fn = reinterpret_cast<const void*>(fn);
  call.args[0] = reinterpret_cast<uint64_t>(vmctx_);
  call.args[2] = 3;
  call.limits = nullptr;  // EnterWasm does not touch the limits
  std::optional<Trap> trap = EnterWasm(call);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kStackOverflow);
}

TEST_F(TrapsTest, TrapsOnOtherThreads) {
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      abi::VMRuntimeLimits limits;
      alignas(16) uint8_t vmctx[kOffsets.size()];
      std::memcpy(vmctx, vmctx_, sizeof(vmctx));
      reinterpret_cast<abi::VMContextHeader*>(vmctx)->runtime_limits = &limits;
      for (int i = 0; i < 100; ++i) {
        int64_t r;
        auto trap = CallWasm(module_->Function<I64Fn>(kRecurse), &r, &limits,
                             static_cast<void*>(vmctx),
                             static_cast<void*>(vmctx), uint64_t{1} << 40,
                             uint64_t{0});
        if (!trap || trap->code != TrapCode::kStackOverflow) return;
        trap = CallWasm(module_->Function<I64Fn>(kLoad), &r, &limits,
                        static_cast<void*>(vmctx), static_cast<void*>(vmctx),
                        uint64_t{1} << 31, uint64_t{0});
        if (!trap || trap->code != TrapCode::kMemoryOutOfBounds) return;
      }
      good.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 4);
  ExpectHealthy();
}

// Traps on several threads while other code ranges are registered and
// unregistered: the handler's lock-free registry reads stay consistent.
TEST_F(TrapsTest, TrapsDuringRegistryChurn) {
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    std::vector<CodeRange> ranges(16);
    for (size_t i = 0; i < ranges.size(); ++i) {
      ranges[i].start = 0x10000000 + i * 0x10000;
      ranges[i].end = ranges[i].start + 0x1000;
    }
    while (!stop.load()) {
      for (CodeRange& r : ranges) {
        if (!CodeRegistry::Global().Register(&r).ok()) std::abort();
      }
      for (CodeRange& r : ranges) CodeRegistry::Global().Unregister(&r);
    }
  });
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      abi::VMRuntimeLimits limits;
      for (int i = 0; i < 2000; ++i) {
        int64_t r;
        auto trap = CallWasm(module_->Function<I64Fn>(kCallsUnreachable), &r,
                             &limits, static_cast<void*>(vmctx_),
                             static_cast<void*>(vmctx_), uint64_t{0},
                             uint64_t{0});
        if (!trap || trap->code != TrapCode::kUnreachableCodeReached ||
            trap->backtrace.size() != 2) {
          return;
        }
      }
      good.fetch_add(1);
    });
  }
  for (std::thread& t : threads) t.join();
  stop.store(true);
  churn.join();
  EXPECT_EQ(good.load(), 2);
  ExpectHealthy();
}

// A fault with an unusable stack pointer (as on real stack exhaustion): the
// kernel can only deliver the signal on the alternate signal stack that
// EnterWasm installed.
TEST_F(TrapsTest, FaultWithUnusableStackRunsOnAltStack) {
  testing::TestModule m;
  Assembler& a = m.a();
  m.BeginFunction(0);  // (vmctx, caller, bad_sp)
  a.push(rbp);
  a.mov(rbp, rsp);
  a.mov(rsp, rdx);
  m.TrapHere(TrapCode::kStackOverflow);
  a.push(rax);  // faults: [bad_sp - 8] is PROT_NONE
  a.mov(rsp, rbp);
  a.pop(rbp);
  a.ret();
  m.EndFunction();
  ASSERT_TRUE(m.Finish().ok());
  const size_t page = 4096;
  void* guard = mmap(nullptr, 4 * page, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(guard, MAP_FAILED);
  const uint64_t bad_sp = reinterpret_cast<uint64_t>(guard) + 2 * page;
  for (int i = 0; i < 3; ++i) {
    int64_t r;
    auto trap = CallWasm(m.Function<I64Fn>(0), &r, &limits_,
                         static_cast<void*>(vmctx_), static_cast<void*>(vmctx_),
                         bad_sp, uint64_t{0});
    ASSERT_TRUE(trap.has_value());
    EXPECT_EQ(trap->code, TrapCode::kStackOverflow);
    EXPECT_EQ(trap->fault_address, bad_sp - 8);
    ASSERT_GE(trap->backtrace.size(), 1u);
    EXPECT_EQ(trap->backtrace[0].owner, &m);
  }
  munmap(guard, 4 * page);
  ExpectHealthy();
}

// Faults that are not wasm traps go to the previous handler (SIG_DFL here).
TEST_F(TrapsTest, NonWasmFaultStillKillsTheProcess) {
  EXPECT_EXIT(
      {
        volatile int* p = nullptr;
        *p = 1;
      },
      ::testing::KilledBySignal(SIGSEGV), "");
}

TEST_F(TrapsTest, FaultAtNonTrapSiteInWasmIsNotATrap) {
  EXPECT_EXIT(
      {
        int64_t value;
        Call(kUncheckedLoad, &value, 1u << 31);
      },
      ::testing::KilledBySignal(SIGSEGV), "");
}

// Any scalar signature: registers and stack arguments, as a C++ function.
double Mix(int64_t i0, double d0, int32_t i1, float f1, int64_t i2, double d2,
           int64_t i3, double d3, int64_t i4, double d4, int64_t i5, double d5,
           int64_t i6, double d6, int64_t i7, double d7, int64_t i8, double d8,
           double d9, uint8_t u) {
  return i0 + d0 * 2 + i1 * 3 + f1 * 4 + i2 * 5 + d2 * 6 + i3 * 7 + d3 * 8 +
         i4 * 9 + d4 * 10 + i5 * 11 + d5 * 12 + i6 * 13 + d6 * 14 + i7 * 15 +
         d7 * 16 + i8 * 17 + d8 * 18 + d9 * 19 + u * 20;
}

float HalfOf(float x) { return x / 2; }
int32_t Negate(int32_t x) { return -x; }

TEST(CallWasmTest, RegisterAndStackArguments) {
  ASSERT_TRUE(InitTrapHandling().ok());
  abi::VMRuntimeLimits limits;
  double r = 0;
  ASSERT_FALSE(CallWasm(&Mix, &r, &limits, 1, 1.0, -1, 1.5f, 1, 1.0, 1, 1.0,
                        1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0, 1.0, 255)
                   .has_value());
  EXPECT_EQ(r, Mix(1, 1.0, -1, 1.5f, 1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0, 1, 1.0,
                   1, 1.0, 1, 1.0, 1.0, 255));
  float f = 0;
  ASSERT_FALSE(CallWasm(&HalfOf, &f, &limits, 3.0f).has_value());
  EXPECT_EQ(f, 1.5f);
  int32_t n = 0;
  ASSERT_FALSE(CallWasm(&Negate, &n, &limits, 7).has_value());
  EXPECT_EQ(n, -7);
}

TEST(StackLimitTest, LimitIsBelowSpAndAboveStackBottom) {
  const StackBounds bounds = CurrentThreadStackBounds();
  const auto here = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  EXPECT_LT(bounds.low, here);
  EXPECT_GT(bounds.high, here);
  const uintptr_t limit = ComputeStackLimit(here, 256 << 10);
  EXPECT_EQ(limit, here - (256 << 10));
  // A budget bigger than the stack is clamped to the stack (plus reserve).
  EXPECT_EQ(ComputeStackLimit(here, size_t{1} << 40),
            bounds.low + kHostStackReserve);
}

TEST(RaiseTrapTest, OutsideWasmAborts) {
  EXPECT_DEATH(RaiseTrap(TrapCode::kUnreachableCodeReached),
               "no wasm activation");
}

}  // namespace
}  // namespace kiln::runtime
