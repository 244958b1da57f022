// A SIGSEGV handler the host installed before Kiln still sees the host's
// own faults, and wasm traps still work.
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

void* g_page = nullptr;
std::atomic<int> g_host_faults{0};

void HostHandler(int, siginfo_t* info, void*) {
  if (info->si_addr == g_page) {
    ++g_host_faults;
    mprotect(g_page, getpagesize(), PROT_READ | PROT_WRITE);
  }
}

TEST(HostSignalHandlerTest, ChainsToHostHandlerInstalledFirst) {
  g_page = mmap(nullptr, getpagesize(), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
                -1, 0);
  ASSERT_NE(g_page, MAP_FAILED);
  struct sigaction sa = {};
  sa.sa_sigaction = &HostHandler;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGSEGV, &sa, nullptr), 0);

  Engine engine;  // installs Kiln's handlers, chaining to ours
  ASSERT_TRUE(engine.init_status().ok());
  Store<> store(engine);
  absl::StatusOr<Module> m = Module::FromWat(engine, R"(
    (module (memory 1)
      (func (export "oob") (result i32) (i32.load (i32.const 70000))))
  )");
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {});
  ASSERT_TRUE(inst.ok());
  auto oob = inst->GetTypedFunc<int32_t()>(store, "oob");
  ASSERT_TRUE(oob.ok());
  Result<int32_t> r = oob->Call(store);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kMemoryOutOfBounds);

  // A host fault outside wasm goes to the host's handler.
  *static_cast<volatile int*>(g_page) = 1;
  EXPECT_EQ(g_host_faults.load(), 1);
  EXPECT_EQ(*static_cast<volatile int*>(g_page), 1);

  // And wasm traps still work afterwards.
  r = oob->Call(store);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kMemoryOutOfBounds);
}

}  // namespace
}  // namespace kiln
