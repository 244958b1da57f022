// (e) A host's signal handlers installed before Kiln's still see faults
// that are not wasm traps. Its own binary: the install order matters.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "gtest/gtest.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/entry.h"
#include "runtime/traps/x64/test_module.h"

namespace kiln::runtime {
namespace {

using abi::TrapCode;
using namespace asmjit::x86;

char* g_page = nullptr;
size_t g_page_size = 0;
std::atomic<int> g_segv_seen{0};
std::atomic<int> g_fpe_seen{0};

// An SA_SIGINFO handler that makes its page accessible (the classic
// "user-space paging" use of SIGSEGV).
void HostSegvHandler(int sig, siginfo_t* info, void*) {
  auto* addr = static_cast<char*>(info->si_addr);
  if (sig == SIGSEGV && addr >= g_page && addr < g_page + g_page_size) {
    mprotect(g_page, g_page_size, PROT_READ | PROT_WRITE);
    g_segv_seen.fetch_add(1);
    return;
  }
  signal(sig, SIG_DFL);  // not ours: crash as usual
}

// A plain (non-SA_SIGINFO) handler.
void HostFpeHandler(int) { g_fpe_seen.fetch_add(1); }

class HostHandlerChainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    g_page_size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(nullptr, g_page_size, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    g_page = static_cast<char*>(p);

    struct sigaction action;
    std::memset(&action, 0, sizeof(action));
    action.sa_sigaction = HostSegvHandler;
    action.sa_flags = SA_SIGINFO;
    ASSERT_EQ(sigaction(SIGSEGV, &action, nullptr), 0);
    std::memset(&action, 0, sizeof(action));
    action.sa_handler = HostFpeHandler;
    ASSERT_EQ(sigaction(SIGFPE, &action, nullptr), 0);

    // Kiln after the host.
    ASSERT_TRUE(InitTrapHandling().ok());
  }
};

TEST_F(HostHandlerChainTest, HostSigsegvHandlerFixesNonWasmFault) {
  volatile char* p = g_page;
  p[10] = 42;  // faults once; the host handler unprotects the page
  EXPECT_EQ(p[10], 42);
  EXPECT_EQ(g_segv_seen.load(), 1);
}

TEST_F(HostHandlerChainTest, PlainHostHandlerGetsRaisedSignal) {
  raise(SIGFPE);
  EXPECT_EQ(g_fpe_seen.load(), 1);
}

TEST_F(HostHandlerChainTest, WasmTrapsDoNotReachTheHost) {
  testing::TestModule m;
  Assembler& a = m.a();
  m.BeginFunction(0);
  a.push(rbp);
  a.mov(rbp, rsp);
  a.xor_(eax, eax);
  a.mov(ecx, edx);
  a.cdq();
  m.TrapHere(TrapCode::kIntegerDivisionByZero);
  a.idiv(ecx);
  a.pop(rbp);
  a.ret();
  m.EndFunction();
  m.BeginFunction(1);
  a.push(rbp);
  a.mov(rbp, rsp);
  m.TrapHere(TrapCode::kMemoryOutOfBounds);
  a.mov(eax, dword_ptr(rdi));  // rdi = an inaccessible address
  a.pop(rbp);
  a.ret();
  m.EndFunction();
  ASSERT_TRUE(m.Finish().ok());

  const int segv_before = g_segv_seen.load();
  const int fpe_before = g_fpe_seen.load();
  abi::VMRuntimeLimits limits;
  int64_t r;
  auto trap = CallWasm(m.Function<int64_t (*)(uint64_t, uint64_t, uint64_t)>(0),
                       &r, &limits, uint64_t{0}, uint64_t{0}, uint64_t{0});
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kIntegerDivisionByZero);

  void* guard = mmap(nullptr, g_page_size, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(guard, MAP_FAILED);
  trap = CallWasm(m.Function<int64_t (*)(void*)>(1), &r, &limits, guard);
  ASSERT_TRUE(trap.has_value());
  EXPECT_EQ(trap->code, TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(trap->fault_address, reinterpret_cast<uintptr_t>(guard));
  munmap(guard, g_page_size);

  EXPECT_EQ(g_segv_seen.load(), segv_before);
  EXPECT_EQ(g_fpe_seen.load(), fpe_before);
}

int64_t HostTouchesProtectedPage(uint64_t) {
  volatile char* p = g_page;
  p[100] = 7;
  return p[100];
}

TEST_F(HostHandlerChainTest, HostFaultDuringWasmCallStillReachesHost) {
  mprotect(g_page, g_page_size, PROT_NONE);
  const int segv_before = g_segv_seen.load();
  testing::TestModule m;
  Assembler& a = m.a();
  m.BeginFunction(0);  // (host_fn) -> host_fn(0)
  a.push(rbp);
  a.mov(rbp, rsp);
  a.mov(rax, rdi);
  a.xor_(edi, edi);
  a.call(rax);
  a.pop(rbp);
  a.ret();
  m.EndFunction();
  ASSERT_TRUE(m.Finish().ok());
  abi::VMRuntimeLimits limits;
  int64_t r = 0;
  auto trap = CallWasm(m.Function<int64_t (*)(void*)>(0), &r, &limits,
                       reinterpret_cast<void*>(&HostTouchesProtectedPage));
  EXPECT_FALSE(trap.has_value());
  EXPECT_EQ(r, 7);
  EXPECT_EQ(g_segv_seen.load(), segv_before + 1);
}

}  // namespace
}  // namespace kiln::runtime
