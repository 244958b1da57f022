// One WasiCtx used by several threads at once, as wasi-threads does: the
// descriptor table is changed (path_open, fd_close, fd_renumber) while
// other threads look descriptors up, write, list the preopen and drop
// rights. Every call must give a sensible errno and nothing may crash;
// under ThreadSanitizer (scripts/tsan_test.sh) no access may race.
#include <fcntl.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "wasi/preview1.h"
#include "wasi/types.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {
namespace {

using namespace preview1;  // NOLINT: the functions under test

TEST(WasiCtxThreadsTest, TableChangesWhileOtherThreadsUseIt) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "wasi_ctx_threads";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  WasiCtx ctx;
  ASSERT_TRUE(ctx.PreopenDir(dir.string(), "box").ok());  // fd 3
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint8_t> bytes(1 << 16);
      const GuestMemory mem(bytes.data(), bytes.size());
      const std::string name = "f" + std::to_string(t);
      std::memcpy(bytes.data() + 100, name.data(), name.size());
      bytes[200] = 'x';
      // ciovec {buf 200, len 1} at 300.
      const uint32_t iov[2] = {200, 1};
      std::memcpy(bytes.data() + 300, iov, sizeof(iov));
      const Rights file_rights =
          rights::kFdWrite | rights::kFdFdstatSetFlags | rights::kFdSeek |
          rights::kFdTell | rights::kFdFilestatGet;
      for (int r = 0; r < kRounds; ++r) {
        if (PathOpen(ctx, mem, 3, 0, 100, name.size(), kOflagCreat,
                     file_rights, 0, kFdflagAppend, 400) != Errno::kSuccess) {
          ++failures[t];
          continue;
        }
        uint32_t fd;
        std::memcpy(&fd, bytes.data() + 400, 4);
        if (FdWrite(ctx, mem, fd, 300, 1, 500) != Errno::kSuccess) {
          ++failures[t];
        }
        // Other threads' descriptors: any answer but a crash or a race.
        (void)FdFdstatGet(ctx, mem, fd + 1, 600);
        (void)FdTell(ctx, mem, fd ^ 1, 700);
        (void)FdPrestatGet(ctx, mem, 3, 800);
        (void)FdReaddir(ctx, mem, 3, 1000, 512, 0, 900);
        if (r % 16 == t) (void)FdRenumber(ctx, mem, fd, fd);
        // Drop a right this thread's fd has (others may read it).
        if (FdFdstatSetRights(ctx, mem, fd, file_rights & ~rights::kFdTell,
                              0) != Errno::kSuccess) {
          ++failures[t];
        }
        if (FdClose(ctx, mem, fd) != Errno::kSuccess) ++failures[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
    EXPECT_EQ(std::filesystem::file_size(dir / ("f" + std::to_string(t))),
              static_cast<uintmax_t>(kRounds));
  }
  // Only the preopen is left open.
  for (uint32_t fd = 4; fd < 16; ++fd) EXPECT_EQ(ctx.Get(fd), nullptr) << fd;
  std::filesystem::remove_all(dir);
}

// A descriptor closed while a call on another thread still holds it: the
// host fd stays valid until that call's reference goes.
TEST(WasiCtxThreadsTest, CloseKeepsTheHostFdUntilTheLastUser) {
  WasiCtx ctx;
  ASSERT_TRUE(ctx.PreopenDir(::testing::TempDir(), "tmp").ok());
  FdRef held = ctx.Get(3);
  ASSERT_NE(held, nullptr);
  const int host_fd = held->host_fd;
  uint8_t bytes[64] = {};
  const GuestMemory mem(bytes, sizeof(bytes));
  EXPECT_EQ(FdClose(ctx, mem, 3), Errno::kSuccess);
  EXPECT_EQ(ctx.Get(3), nullptr);
  EXPECT_EQ(FdClose(ctx, mem, 3), Errno::kBadf);
  EXPECT_EQ(fcntl(host_fd, F_GETFD), FD_CLOEXEC);  // still open
  held.reset();
  EXPECT_EQ(fcntl(host_fd, F_GETFD), -1);  // closed with the last reference
}

}  // namespace
}  // namespace kiln::wasi
