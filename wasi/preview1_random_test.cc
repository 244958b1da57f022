// Random calls of every preview1 function (except the ones that can block:
// poll_oneoff, fd_read on stdin) with arguments biased toward edge cases,
// against a guest memory of random bytes with some valid paths in it.
// Nothing may crash, and nothing outside the preopened directory may
// change. Both pointer widths: a memory64 guest (Abi::kWasm64) passes u64
// pointers and sizes, any of which may be far above the memory.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "wasi/path.h"
#include "wasi/preview1.h"
#include "wasi/types.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {
namespace {

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent* e = readdir(d)) out.insert(e->d_name);
  closedir(d);
  return out;
}

class RandomCallsTest
    : public ::testing::TestWithParam<std::tuple<ResolveMode, Abi>> {};

TEST_P(RandomCallsTest, NoCrashNoEscape) {
  const ResolveMode mode = std::get<0>(GetParam());
  const Abi abi = std::get<1>(GetParam());
  const bool wide = abi == Abi::kWasm64;
  SetResolveMode(mode);
  const char* base = std::getenv("TEST_TMPDIR");
  std::string root = std::string(base ? base : "/tmp") + "/randXXXXXX";
  ASSERT_NE(mkdtemp(root.data()), nullptr);
  const std::string box = root + "/box";
  mkdir(box.c_str(), 0755);
  for (const char* f : {"/outside", "/box/a", "/box/b"}) {
    int fd = open((root + f).c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(write(fd, "content", 7), 0);
    close(fd);
  }
  mkdir((box + "/d").c_str(), 0755);
  ASSERT_EQ(symlink("../outside", (box + "/up").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(symlink("..", (box + "/updir").c_str()), 0) << std::strerror(errno);
  ASSERT_EQ(symlink("a", (box + "/in").c_str()), 0) << std::strerror(errno);
  const std::set<std::string> before = List(root);

  std::mt19937_64 rng((mode == ResolveMode::kAuto ? 1 : 2) + (wide ? 2 : 0));
  std::vector<uint8_t> bytes(65536);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  // Paths the calls can name (offsets 0..), with their lengths.
  const std::vector<std::string> paths = {
      "a", "b", "d", "d/x", "in", "up", "updir", "updir/outside", "..",
      "../outside", "/etc/passwd", ".", "new", "d/../a", "updir/box/a",
      "x/../../outside", "d/", "a/"};
  std::vector<std::pair<uint32_t, uint32_t>> placed;
  uint32_t at = 0;
  for (const std::string& p : paths) {
    std::memcpy(bytes.data() + at, p.data(), p.size());
    placed.emplace_back(at, static_cast<uint32_t>(p.size()));
    at += static_cast<uint32_t>(p.size()) + 1;
  }
  // Valid iovecs at 2048: {4096, 100}, {8192, 7}, of the pointer width;
  // written again before each call meant to get them (random calls
  // overwrite memory, the iovecs too).
  auto put_iovs = [&] {
    if (wide) {
      const uint64_t iovs[4] = {4096, 100, 8192, 7};
      std::memcpy(bytes.data() + 2048, iovs, sizeof(iovs));
    } else {
      const uint32_t iovs[4] = {4096, 100, 8192, 7};
      std::memcpy(bytes.data() + 2048, iovs, sizeof(iovs));
    }
  };
  put_iovs();
  GuestMemory mem(bytes.data(), bytes.size(), abi);
  // Which arguments are (dirfd, path, path_len) triples or (path, len).
  const std::map<std::string, std::vector<std::pair<int, int>>> path_args = {
      {"path_open", {{0, 2}}},           {"path_create_directory", {{0, 1}}},
      {"path_filestat_get", {{0, 2}}},   {"path_filestat_set_times", {{0, 2}}},
      {"path_readlink", {{0, 1}}},       {"path_remove_directory", {{0, 1}}},
      {"path_unlink_file", {{0, 1}}},    {"path_rename", {{0, 1}, {3, 4}}},
      {"path_link", {{0, 2}, {4, 5}}},   {"path_symlink", {{-1, 0}, {2, 3}}},
  };

  auto arg = [&](char type) -> uint64_t {
    switch (rng() % 8) {
      case 0: return rng() % 8;                        // small: fds, flags
      case 1: return 3;                                // the preopen
      case 2: return 1024 + rng() % 60000;             // in-bounds pointer
      case 3: return 65536 - rng() % 64;               // near the end
      case 4:
        if (type == 'p' && wide) {
          // wasm64 pointers and sizes: all ones, or above 4 GiB with low
          // bits that look valid. (Not for 'I': file offsets stay small.
          // fd_allocate once reserved tens of GB here; it is ENOTSUP now.)
          return rng() % 2 ? ~uint64_t{0}
                           : (uint64_t{1} << (32 + rng() % 32)) + 1024;
        }
        return type == 'I' ? ~uint64_t{0} : 0xffffffffu;
      case 5: return rng() % 64;                       // small lengths
      case 6:
        if (type == 'I') {
          return rng() % 2 ? rng() : rng() & rights::kDirectoryInheriting;
        }
        return rng() % 2 ? 2048 : rng() & 0xffffffffu;
      default: return placed[rng() % placed.size()].first;
    }
  };

  std::map<std::string, int> successes;
  std::unique_ptr<WasiCtx> ctx;
  for (int iter = 0; iter < 50000; ++iter) {
    if (ctx == nullptr || ctx->Get(3) == nullptr ||
        !ctx->Get(3)->preopen_name.has_value() || iter % 2000 == 0) {
      ctx = std::make_unique<WasiCtx>();
      ASSERT_TRUE(ctx->PreopenDir(box, "box").ok());
    }
    const auto fns = preview1::Functions();
    const preview1::Function& f = fns[rng() % fns.size()];
    if (f.name == "poll_oneoff") continue;  // could sleep for ever
    uint64_t args[16] = {};
    for (size_t i = 0; i < f.params.size(); ++i) args[i] = arg(f.params[i]);
    // Mostly give path calls the preopen and a real path.
    auto pa = path_args.find(std::string(f.name));
    if (pa != path_args.end() && rng() % 4 != 0) {
      for (const auto& [fd_index, path_index] : pa->second) {
        if (fd_index >= 0) args[fd_index] = 3;
        const auto& [off, len] = placed[rng() % placed.size()];
        args[path_index] = off;
        args[path_index + 1] = len;
      }
      if (f.name == "path_open") {
        args[4] = rng() % 16;                                // oflags
        args[5] = rng() & rights::kDirectoryInheriting;      // base
        args[6] = rng() & rights::kDirectoryInheriting;      // inheriting
        args[7] = rng() % 2 ? 0 : rng() % 32;                // fdflags
        args[8] = 1024 + rng() % 1000;                       // fd out
      }
    }
    // Often give the fd calls valid iovecs and result pointers.
    if (rng() % 2) {
      if (f.name.substr(0, 3) == "fd_") args[0] = rng() % 6;
      if (f.name == "fd_read" || f.name == "fd_write") {
        put_iovs();
        args[1] = 2048;
        args[2] = 1 + rng() % 2;
        args[3] = 1024;
      } else if (f.name == "fd_pread" || f.name == "fd_pwrite") {
        put_iovs();
        args[1] = 2048;
        args[2] = 1 + rng() % 2;
        args[3] = rng() % 100;
        args[4] = 1024;
      } else if (f.name == "fd_seek") {
        args[1] = rng() % 20;
        args[2] = rng() % 3;
        args[3] = 1024;
      }
    }
    if (f.call(*ctx, mem, args) == 0) ++successes[std::string(f.name)];
  }
  // The calls got past their checks often enough to mean something.
  for (const char* name : {"path_open", "path_filestat_get",
                           "path_create_directory", "fd_readdir",
                           "path_rename", "fd_filestat_get"}) {
    EXPECT_GT(successes[name], 0) << name;
  }
  EXPECT_GT(successes["fd_read"] + successes["fd_write"] +
                successes["fd_pread"] + successes["fd_pwrite"],
            0);
  std::string summary;
  for (const auto& [name, n] : successes) {
    summary += name + "=" + std::to_string(n) + " ";
  }
  std::printf("successful calls: %s\n", summary.c_str());

  // Nothing outside box/ changed.
  EXPECT_EQ(List(root), before);
  struct stat st;
  ASSERT_EQ(stat((root + "/outside").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 7);
  SetResolveMode(ResolveMode::kAuto);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, RandomCallsTest,
    ::testing::Combine(::testing::Values(ResolveMode::kAuto,
                                         ResolveMode::kWalkOnly),
                       ::testing::Values(Abi::kWasm32, Abi::kWasm64)));

}  // namespace
}  // namespace kiln::wasi
