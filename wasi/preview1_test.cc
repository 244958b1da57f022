// Unit tests of the WASI core against a byte buffer as guest memory.
#include "wasi/preview1.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "wasi/errno.h"
#include "wasi/guest_memory.h"
#include "wasi/path.h"
#include "wasi/types.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {
namespace {

using namespace preview1;  // NOLINT

// A guest memory of 64 KiB with helpers to place data.
struct Guest {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(65536, 0);
  GuestMemory mem() { return GuestMemory(bytes.data(), bytes.size()); }
  void Put(uint32_t at, std::string_view s) {
    std::memcpy(bytes.data() + at, s.data(), s.size());
  }
  std::string Get(uint32_t at, uint32_t n) {
    return std::string(reinterpret_cast<char*>(bytes.data() + at), n);
  }
  template <typename T>
  T Load(uint32_t at) {
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    return v;
  }
  template <typename T>
  void Store(uint32_t at, T v) {
    std::memcpy(bytes.data() + at, &v, sizeof(T));
  }
};

std::string MakeTempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/wasiXXXXXX";
  char* d = mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

void WriteFile(const std::string& path, const std::string& content) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(write(fd, content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
  close(fd);
}

TEST(ErrnoTest, ValuesMatchWitx) {
  EXPECT_EQ(static_cast<int>(Errno::kSuccess), 0);
  EXPECT_EQ(static_cast<int>(Errno::k2big), 1);
  EXPECT_EQ(static_cast<int>(Errno::kBadf), 8);
  EXPECT_EQ(static_cast<int>(Errno::kExist), 20);
  EXPECT_EQ(static_cast<int>(Errno::kFault), 21);
  EXPECT_EQ(static_cast<int>(Errno::kInval), 28);
  EXPECT_EQ(static_cast<int>(Errno::kIsdir), 31);
  EXPECT_EQ(static_cast<int>(Errno::kLoop), 32);
  EXPECT_EQ(static_cast<int>(Errno::kNametoolong), 37);
  EXPECT_EQ(static_cast<int>(Errno::kNoent), 44);
  EXPECT_EQ(static_cast<int>(Errno::kNosys), 52);
  EXPECT_EQ(static_cast<int>(Errno::kNotdir), 54);
  EXPECT_EQ(static_cast<int>(Errno::kNotempty), 55);
  EXPECT_EQ(static_cast<int>(Errno::kNotsup), 58);
  EXPECT_EQ(static_cast<int>(Errno::kPerm), 63);
  EXPECT_EQ(static_cast<int>(Errno::kSpipe), 70);
  EXPECT_EQ(static_cast<int>(Errno::kXdev), 75);
  EXPECT_EQ(static_cast<int>(Errno::kNotcapable), 76);
}

TEST(ErrnoTest, HostMapping) {
  EXPECT_EQ(FromHostErrno(0), Errno::kSuccess);
  EXPECT_EQ(FromHostErrno(ENOENT), Errno::kNoent);
  EXPECT_EQ(FromHostErrno(EACCES), Errno::kAcces);
  EXPECT_EQ(FromHostErrno(EAGAIN), Errno::kAgain);
  EXPECT_EQ(FromHostErrno(EWOULDBLOCK), Errno::kAgain);
  EXPECT_EQ(FromHostErrno(ENOTEMPTY), Errno::kNotempty);
  EXPECT_EQ(FromHostErrno(EOPNOTSUPP), Errno::kNotsup);
  EXPECT_EQ(FromHostErrno(ETXTBSY), Errno::kTxtbsy);
  EXPECT_EQ(FromHostErrno(EXDEV), Errno::kXdev);
  EXPECT_EQ(FromHostErrno(ENOLINK), Errno::kNolink);
  EXPECT_EQ(FromHostErrno(12345), Errno::kIo);
  EXPECT_STREQ(ErrnoName(Errno::kNotcapable), "ENOTCAPABLE");
  EXPECT_STREQ(ErrnoName(Errno::kNoent), "ENOENT");
}

TEST(GuestMemoryTest, BoundsAreOverflowSafe) {
  uint8_t buf[16] = {};
  GuestMemory m(buf, sizeof(buf));
  EXPECT_TRUE(m.InBounds(0, 16));
  EXPECT_TRUE(m.InBounds(16, 0));
  EXPECT_FALSE(m.InBounds(17, 0));
  EXPECT_FALSE(m.InBounds(8, 9));
  EXPECT_FALSE(m.InBounds(1, ~uint64_t{0}));
  EXPECT_FALSE(m.InBounds(~uint64_t{0}, 2));
  EXPECT_EQ(m.Slice(15, 2), nullptr);
  uint32_t v = 0;
  EXPECT_FALSE(m.Load(13, &v));
  EXPECT_TRUE(m.Store<uint32_t>(12, 0x01020304u));
  EXPECT_EQ(buf[12], 4);
  EXPECT_FALSE(m.Store<uint64_t>(12, 1));
  EXPECT_EQ(buf[15], 1);  // a failed store writes nothing
  GuestMemory empty;
  EXPECT_FALSE(empty.InBounds(0, 1));
  EXPECT_TRUE(empty.InBounds(0, 0));
}

TEST(FunctionTableTest, EveryPreview1FunctionOnce) {
  const std::vector<std::string> witx = {
      "args_get", "args_sizes_get", "environ_get", "environ_sizes_get",
      "clock_res_get", "clock_time_get", "fd_advise", "fd_allocate",
      "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
      "fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size",
      "fd_filestat_set_times", "fd_pread", "fd_prestat_get",
      "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir",
      "fd_renumber", "fd_seek", "fd_sync", "fd_tell", "fd_write",
      "path_create_directory", "path_filestat_get",
      "path_filestat_set_times", "path_link", "path_open", "path_readlink",
      "path_remove_directory", "path_rename", "path_symlink",
      "path_unlink_file", "poll_oneoff", "proc_exit", "proc_raise",
      "sched_yield", "random_get", "sock_accept", "sock_recv", "sock_send",
      "sock_shutdown"};
  std::set<std::string> names;
  for (const Function& f : Functions()) names.insert(std::string(f.name));
  EXPECT_EQ(names.size(), Functions().size());
  EXPECT_EQ(names, std::set<std::string>(witx.begin(), witx.end()));
  EXPECT_EQ(FindFunction("path_open")->params, "iippiIIip");
  EXPECT_EQ(FindFunction("fd_seek")->params, "iIip");
  EXPECT_FALSE(FindFunction("proc_exit")->has_result);
  EXPECT_EQ(FindFunction("nope"), nullptr);
}

TEST(ArgsEnvTest, SizesAndStrings) {
  WasiCtx ctx;
  ctx.set_args({"prog", "a b", ""});
  ctx.set_env({"X=1", "LONG=hello"});
  Guest g;
  ASSERT_EQ(ArgsSizesGet(ctx, g.mem(), 0, 4), Errno::kSuccess);
  EXPECT_EQ(g.Load<uint32_t>(0), 3u);
  EXPECT_EQ(g.Load<uint32_t>(4), 5u + 4u + 1u);
  ASSERT_EQ(ArgsGet(ctx, g.mem(), 100, 200), Errno::kSuccess);
  EXPECT_EQ(g.Load<uint32_t>(100), 200u);
  EXPECT_EQ(g.Load<uint32_t>(104), 205u);
  EXPECT_EQ(g.Load<uint32_t>(108), 209u);
  EXPECT_EQ(g.Get(200, 10), std::string("prog\0a b\0\0", 10));
  ASSERT_EQ(EnvironSizesGet(ctx, g.mem(), 0, 4), Errno::kSuccess);
  EXPECT_EQ(g.Load<uint32_t>(0), 2u);
  EXPECT_EQ(g.Load<uint32_t>(4), 15u);
  ASSERT_EQ(EnvironGet(ctx, g.mem(), 300, 400), Errno::kSuccess);
  EXPECT_EQ(g.Get(400, 15), std::string("X=1\0LONG=hello\0", 15));
  // Out of bounds: the pointer array, the buffer, the size outputs.
  EXPECT_EQ(ArgsGet(ctx, g.mem(), 65530, 200), Errno::kFault);
  EXPECT_EQ(ArgsGet(ctx, g.mem(), 100, 65530), Errno::kFault);
  EXPECT_EQ(ArgsSizesGet(ctx, g.mem(), 65534, 0), Errno::kFault);
  EXPECT_EQ(EnvironGet(ctx, g.mem(), 0xffffffff, 0), Errno::kFault);
}

TEST(ClockRandomTest, Basics) {
  WasiCtx ctx;
  Guest g;
  EXPECT_EQ(ClockTimeGet(ctx, g.mem(), kClockMonotonic, 0, 8), Errno::kSuccess);
  EXPECT_GT(g.Load<uint64_t>(8), 0u);
  EXPECT_EQ(ClockResGet(ctx, g.mem(), kClockRealtime, 8), Errno::kSuccess);
  EXPECT_GT(g.Load<uint64_t>(8), 0u);
  EXPECT_EQ(ClockTimeGet(ctx, g.mem(), 4, 0, 8), Errno::kInval);
  EXPECT_EQ(ClockTimeGet(ctx, g.mem(), kClockRealtime, 0, 65532), Errno::kFault);
  EXPECT_EQ(RandomGet(ctx, g.mem(), 1000, 64), Errno::kSuccess);
  EXPECT_NE(g.Get(1000, 64), std::string(64, '\0'));
  EXPECT_EQ(RandomGet(ctx, g.mem(), 65500, 64), Errno::kFault);
  EXPECT_EQ(RandomGet(ctx, g.mem(), 0, 0), Errno::kSuccess);
}

TEST(ProcTest, ExitRaiseYieldSockets) {
  WasiCtx ctx;
  Guest g;
  EXPECT_FALSE(ctx.exit_code().has_value());
  ProcExit(ctx, g.mem(), 7);
  EXPECT_EQ(ctx.exit_code(), 7u);
  EXPECT_EQ(ProcRaise(ctx, g.mem(), 6), Errno::kNosys);
  EXPECT_EQ(SchedYield(ctx, g.mem()), Errno::kSuccess);
  ctx.InheritStdio();
  EXPECT_EQ(SockAccept(ctx, g.mem(), 9, 0, 0), Errno::kBadf);
  EXPECT_EQ(SockShutdown(ctx, g.mem(), 9, 0), Errno::kBadf);
  std::string dir = MakeTempDir();
  WriteFile(dir + "/f", "x");
  ASSERT_TRUE(ctx.PreopenDir(dir, "d").ok());
  EXPECT_EQ(SockRecv(ctx, g.mem(), 3, 0, 0, 0, 0, 0), Errno::kNotsock);
  EXPECT_EQ(SockSend(ctx, g.mem(), 3, 0, 0, 0, 0), Errno::kNotsock);
}

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeTempDir();
    mkdir((root_ + "/box").c_str(), 0755);
    WriteFile(root_ + "/secret", "secret");
    WriteFile(root_ + "/box/file", "0123456789");
    ASSERT_TRUE(ctx_.PreopenDir(root_ + "/box", "box").ok());
    fd_ = 3;  // no stdio: the preopen is still fd 3
  }

  // path_open relative to the preopen with `path` placed at 1000.
  Errno Open(std::string_view path, uint32_t oflags, Rights base,
             uint32_t* fd, uint32_t lookup = kLookupSymlinkFollow,
             uint32_t fdflags = 0) {
    g_.Put(1000, path);
    Errno e = PathOpen(ctx_, g_.mem(), fd_, lookup, 1000,
                       static_cast<uint32_t>(path.size()), oflags, base, base,
                       fdflags, 900);
    *fd = g_.Load<uint32_t>(900);
    return e;
  }
  Errno Call(Errno (*fn)(WasiCtx&, M, u32, Ptr, Size), std::string_view path) {
    g_.Put(1000, path);
    return fn(ctx_, g_.mem(), fd_, 1000, static_cast<uint32_t>(path.size()));
  }
  // Writes an iovec {buf, len} at `at`.
  void Iov(uint32_t at, uint32_t buf, uint32_t len) {
    g_.Store<uint32_t>(at, buf);
    g_.Store<uint32_t>(at + 4, len);
  }

  std::string root_;
  WasiCtx ctx_;
  Guest g_;
  uint32_t fd_ = 3;
};

TEST_F(FsTest, PrestatAndFdTable) {
  ASSERT_EQ(FdPrestatGet(ctx_, g_.mem(), 3, 0), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint8_t>(0), kPreopentypeDir);
  EXPECT_EQ(g_.Load<uint32_t>(4), 3u);
  EXPECT_EQ(FdPrestatDirName(ctx_, g_.mem(), 3, 100, 2), Errno::kNametoolong);
  ASSERT_EQ(FdPrestatDirName(ctx_, g_.mem(), 3, 100, 3), Errno::kSuccess);
  EXPECT_EQ(g_.Get(100, 3), "box");
  EXPECT_EQ(FdPrestatGet(ctx_, g_.mem(), 4, 0), Errno::kBadf);
  EXPECT_EQ(FdPrestatGet(ctx_, g_.mem(), 3, 65534), Errno::kFault);

  uint32_t a, b;
  ASSERT_EQ(Open("file", 0, rights::kFdRead, &a), Errno::kSuccess);
  EXPECT_EQ(a, 0u);  // lowest free descriptor
  ASSERT_EQ(Open("file", 0, rights::kFdRead, &b), Errno::kSuccess);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(FdPrestatGet(ctx_, g_.mem(), a, 0), Errno::kBadf);  // not a preopen
  EXPECT_EQ(FdRenumber(ctx_, g_.mem(), b, 7), Errno::kBadf);
  EXPECT_EQ(FdRenumber(ctx_, g_.mem(), b, a), Errno::kSuccess);
  EXPECT_EQ(ctx_.Get(b), nullptr);
  EXPECT_EQ(FdClose(ctx_, g_.mem(), a), Errno::kSuccess);
  EXPECT_EQ(FdClose(ctx_, g_.mem(), a), Errno::kBadf);
  EXPECT_EQ(FdClose(ctx_, g_.mem(), 12345), Errno::kBadf);
}

TEST_F(FsTest, ReadWriteSeekStat) {
  uint32_t fd;
  const Rights rw = rights::kFdRead | rights::kFdWrite | rights::kFdSeek |
                    rights::kFdTell | rights::kFdFilestatGet |
                    rights::kFdFilestatSetSize;
  ASSERT_EQ(Open("new", kOflagCreat | kOflagExcl, rw, &fd), Errno::kSuccess);
  EXPECT_EQ(Open("new", kOflagCreat | kOflagExcl, rw, &fd), Errno::kExist);
  ASSERT_EQ(Open("new", 0, rw, &fd), Errno::kSuccess);
  g_.Put(2000, "hello ");
  g_.Put(2100, "world");
  Iov(100, 2000, 6);
  Iov(108, 2100, 5);
  ASSERT_EQ(FdWrite(ctx_, g_.mem(), fd, 100, 2, 200), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint32_t>(200), 11u);
  ASSERT_EQ(FdTell(ctx_, g_.mem(), fd, 208), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint64_t>(208), 11u);
  ASSERT_EQ(FdSeek(ctx_, g_.mem(), fd, static_cast<uint64_t>(-5), kWhenceCur,
                   208),
            Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint64_t>(208), 6u);
  EXPECT_EQ(FdSeek(ctx_, g_.mem(), fd, 0, 3, 208), Errno::kInval);
  Iov(100, 3000, 64);
  ASSERT_EQ(FdRead(ctx_, g_.mem(), fd, 100, 1, 200), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint32_t>(200), 5u);
  EXPECT_EQ(g_.Get(3000, 5), "world");
  ASSERT_EQ(FdPread(ctx_, g_.mem(), fd, 100, 1, 2, 200), Errno::kSuccess);
  EXPECT_EQ(g_.Get(3000, 9), "llo world");
  ASSERT_EQ(FdFilestatGet(ctx_, g_.mem(), fd, 400), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint8_t>(400 + 16),
            static_cast<uint8_t>(Filetype::kRegularFile));
  EXPECT_EQ(g_.Load<uint64_t>(400 + 24), 1u);   // nlink
  EXPECT_EQ(g_.Load<uint64_t>(400 + 32), 11u);  // size
  ASSERT_EQ(FdFilestatSetSize(ctx_, g_.mem(), fd, 3), Errno::kSuccess);
  ASSERT_EQ(FdFilestatGet(ctx_, g_.mem(), fd, 400), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint64_t>(400 + 32), 3u);
  ASSERT_EQ(FdFdstatGet(ctx_, g_.mem(), fd, 500), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint8_t>(500), static_cast<uint8_t>(Filetype::kRegularFile));
  EXPECT_EQ(g_.Load<uint64_t>(508), rw);
  EXPECT_EQ(g_.Load<uint64_t>(516), rw);

  // Bad iovecs: a buffer past the end, the array past the end, the
  // result pointer past the end. The file is untouched.
  Iov(100, 65530, 100);
  EXPECT_EQ(FdWrite(ctx_, g_.mem(), fd, 100, 1, 200), Errno::kFault);
  EXPECT_EQ(FdWrite(ctx_, g_.mem(), fd, 65532, 1, 200), Errno::kFault);
  EXPECT_EQ(FdWrite(ctx_, g_.mem(), fd, 100, 0x20000000, 200), Errno::kFault);
  Iov(100, 2000, 6);
  EXPECT_EQ(FdWrite(ctx_, g_.mem(), fd, 100, 1, 65534), Errno::kFault);
  EXPECT_EQ(FdRead(ctx_, g_.mem(), fd, 100, 1, 0xffffffff), Errno::kFault);

  // Dropping rights, then the calls that need them fail.
  ASSERT_EQ(FdFdstatSetRights(ctx_, g_.mem(), fd, rights::kFdRead, 0),
            Errno::kSuccess);
  EXPECT_EQ(FdWrite(ctx_, g_.mem(), fd, 100, 1, 200), Errno::kNotcapable);
  EXPECT_EQ(FdTell(ctx_, g_.mem(), fd, 200), Errno::kNotcapable);
  EXPECT_EQ(FdFdstatSetRights(ctx_, g_.mem(), fd, rw, 0), Errno::kNotcapable);
  EXPECT_EQ(FdWrite(ctx_, g_.mem(), 99, 100, 1, 200), Errno::kBadf);
}

// fd_allocate would reserve real disk blocks for any size the guest names:
// refused (ENOTSUP) as wasmtime does, after the usual fd and rights checks.
TEST_F(FsTest, FdAllocateIsNotSupported) {
  uint32_t fd;
  const Rights rights = rights::kFdAllocate | rights::kFdFilestatGet;
  ASSERT_EQ(Open("alloc", kOflagCreat, rights, &fd), Errno::kSuccess);
  EXPECT_EQ(FdAllocate(ctx_, g_.mem(), fd, 0, uint64_t{1} << 40), Errno::kNotsup);
  ASSERT_EQ(FdFilestatGet(ctx_, g_.mem(), fd, 400), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint64_t>(400 + 32), 0u);  // size
  EXPECT_EQ(FdAllocate(ctx_, g_.mem(), 99, 0, 1), Errno::kBadf);
  ASSERT_EQ(Open("plain", kOflagCreat, rights::kFdRead, &fd), Errno::kSuccess);
  EXPECT_EQ(FdAllocate(ctx_, g_.mem(), fd, 0, 1), Errno::kNotcapable);
}

TEST_F(FsTest, SetFlagsOnlyOnOwnDescriptors) {
  uint32_t fd;
  ASSERT_EQ(Open("file", 0, rights::kFdWrite | rights::kFdFdstatSetFlags, &fd),
            Errno::kSuccess);
  ASSERT_EQ(FdFdstatSetFlags(ctx_, g_.mem(), fd, kFdflagAppend), Errno::kSuccess);
  ASSERT_EQ(FdFdstatGet(ctx_, g_.mem(), fd, 0), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint16_t>(2), kFdflagAppend);
  EXPECT_EQ(FdFdstatSetFlags(ctx_, g_.mem(), fd, kFdflagSync), Errno::kNotsup);
  // An inherited descriptor (as stdio is) keeps its flags.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_TRUE(ctx_.SetStdio(1, pipe_fds[1], /*owned=*/false).ok());
  EXPECT_EQ(FdFdstatSetFlags(ctx_, g_.mem(), 1, kFdflagNonblock), Errno::kNotsup);
  EXPECT_EQ(fcntl(pipe_fds[1], F_GETFL) & O_NONBLOCK, 0);
  EXPECT_EQ(FdFdstatSetFlags(ctx_, g_.mem(), 1, 0), Errno::kSuccess);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_F(FsTest, OpenRightsMustBeInherited) {
  uint32_t fd;
  EXPECT_EQ(Open("file", 0, rights::kSockAccept, &fd), Errno::kNotcapable);
  ASSERT_EQ(FdFdstatSetRights(ctx_, g_.mem(), 3,
                              rights::kDirectoryBase & ~rights::kPathOpen,
                              rights::kDirectoryInheriting),
            Errno::kSuccess);
  EXPECT_EQ(Open("file", 0, rights::kFdRead, &fd), Errno::kNotcapable);
}

TEST_F(FsTest, DirectoryOperations) {
  EXPECT_EQ(Call(PathCreateDirectory, "d"), Errno::kSuccess);
  EXPECT_EQ(Call(PathCreateDirectory, "d"), Errno::kExist);
  EXPECT_EQ(Call(PathCreateDirectory, "d/e/"), Errno::kSuccess);
  EXPECT_EQ(Call(PathCreateDirectory, "."), Errno::kExist);
  EXPECT_EQ(Call(PathRemoveDirectory, "d"), Errno::kNotempty);
  EXPECT_EQ(Call(PathUnlinkFile, "d"), Errno::kIsdir);
  EXPECT_EQ(Call(PathUnlinkFile, "file/"), Errno::kNotdir);
  EXPECT_EQ(Call(PathRemoveDirectory, "d/e"), Errno::kSuccess);
  EXPECT_EQ(Call(PathRemoveDirectory, "d"), Errno::kSuccess);
  EXPECT_EQ(Call(PathRemoveDirectory, "d"), Errno::kNoent);
  EXPECT_EQ(Call(PathCreateDirectory, ""), Errno::kNoent);
  // The path buffer out of bounds.
  EXPECT_EQ(PathCreateDirectory(ctx_, g_.mem(), 3, 65530, 10), Errno::kFault);
  // Not a directory fd.
  EXPECT_EQ(PathCreateDirectory(ctx_, g_.mem(), 99, 1000, 1), Errno::kBadf);

  // rename, link, symlink, readlink, filestat.
  g_.Put(1000, "file");
  g_.Put(1100, "moved");
  ASSERT_EQ(PathRename(ctx_, g_.mem(), 3, 1000, 4, 3, 1100, 5), Errno::kSuccess);
  ASSERT_EQ(PathLink(ctx_, g_.mem(), 3, 0, 1100, 5, 3, 1000, 4), Errno::kSuccess);
  g_.Put(1200, "moved");
  g_.Put(1300, "sym");
  ASSERT_EQ(PathSymlink(ctx_, g_.mem(), 1200, 5, 3, 1300, 3), Errno::kSuccess);
  ASSERT_EQ(PathReadlink(ctx_, g_.mem(), 3, 1300, 3, 1400, 3, 1500),
            Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint32_t>(1500), 3u);  // truncated to the buffer
  EXPECT_EQ(g_.Get(1400, 3), "mov");
  ASSERT_EQ(PathFilestatGet(ctx_, g_.mem(), 3, 0, 1300, 3, 1600), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint8_t>(1616), static_cast<uint8_t>(Filetype::kSymbolicLink));
  ASSERT_EQ(PathFilestatGet(ctx_, g_.mem(), 3, kLookupSymlinkFollow, 1300, 3,
                            1600),
            Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint8_t>(1616), static_cast<uint8_t>(Filetype::kRegularFile));
  EXPECT_EQ(g_.Load<uint64_t>(1624), 2u);  // nlink: file + moved
  EXPECT_EQ(g_.Load<uint64_t>(1632), 10u);
  ASSERT_EQ(PathFilestatSetTimes(ctx_, g_.mem(), 3, kLookupSymlinkFollow, 1300,
                                 3, 0, 5000000000ull, kFstflagMtim),
            Errno::kSuccess);
  struct stat st;
  ASSERT_EQ(stat((root_ + "/box/moved").c_str(), &st), 0);
  EXPECT_EQ(st.st_mtim.tv_sec, 5);
  EXPECT_EQ(PathFilestatSetTimes(ctx_, g_.mem(), 3, 0, 1300, 3, 0, 0,
                                 kFstflagMtim | kFstflagMtimNow),
            Errno::kInval);
  // An absolute symlink target is refused.
  g_.Put(1200, "/etc/passwd");
  EXPECT_EQ(PathSymlink(ctx_, g_.mem(), 1200, 11, 3, 1300, 3),
            Errno::kNotcapable);
  EXPECT_EQ(Call(PathUnlinkFile, "sym"), Errno::kSuccess);
  EXPECT_EQ(Call(PathUnlinkFile, "file"), Errno::kSuccess);
}

// Readdir: layout, cookies, truncation.
TEST_F(FsTest, ReaddirLayoutAndCookies) {
  for (const char* n : {"a", "bb", "ccc"}) WriteFile(root_ + "/box/" + n, "");
  auto parse = [&](uint32_t buf, uint32_t used) {
    std::vector<std::pair<std::string, uint64_t>> out;  // name, d_next
    uint32_t at = 0;
    while (at + kDirentSize <= used) {
      uint64_t next = g_.Load<uint64_t>(buf + at);
      uint32_t namlen = g_.Load<uint32_t>(buf + at + 16);
      if (at + kDirentSize + namlen > used) break;
      out.emplace_back(g_.Get(buf + at + kDirentSize, namlen), next);
      at += kDirentSize + namlen;
    }
    return out;
  };
  ASSERT_EQ(FdReaddir(ctx_, g_.mem(), 3, 4096, 8192, 0, 100), Errno::kSuccess);
  const uint32_t used = g_.Load<uint32_t>(100);
  auto all = parse(4096, used);
  ASSERT_EQ(all.size(), 6u);  // . .. file a bb ccc
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    names.insert(all[i].first);
    EXPECT_EQ(all[i].second, i + 1);
  }
  EXPECT_EQ(names, (std::set<std::string>{".", "..", "file", "a", "bb", "ccc"}));
  EXPECT_LT(used, 8192u);
  // Resuming at the cookie of entry 2 gives entries 3.. unchanged.
  ASSERT_EQ(FdReaddir(ctx_, g_.mem(), 3, 4096, 8192, all[2].second, 100),
            Errno::kSuccess);
  auto rest = parse(4096, g_.Load<uint32_t>(100));
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest[0].first, all[3].first);
  // A small buffer is filled completely (the guest then retries).
  ASSERT_EQ(FdReaddir(ctx_, g_.mem(), 3, 4096, 30, 0, 100), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint32_t>(100), 30u);
  // Past the end: nothing.
  ASSERT_EQ(FdReaddir(ctx_, g_.mem(), 3, 4096, 8192, 100, 100), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint32_t>(100), 0u);
  EXPECT_EQ(FdReaddir(ctx_, g_.mem(), 3, 65000, 8192, 0, 100), Errno::kFault);
  uint32_t fd;
  ASSERT_EQ(Open("a", 0, rights::kFdRead | rights::kFdReaddir, &fd),
            Errno::kSuccess);
  EXPECT_EQ(FdReaddir(ctx_, g_.mem(), fd, 4096, 100, 0, 100), Errno::kNotdir);
}

// The guest's protocol (as wasi-libc's readdir): small buffers, resume at
// the last whole entry's cookie, grow the buffer when not even one entry
// fits. Every entry arrives exactly once.
TEST_F(FsTest, ReaddirInManySmallCalls) {
  std::set<std::string> want = {".", "..", "file"};
  for (int i = 0; i < 200; ++i) {
    std::string name = "f" + std::to_string(i) + std::string(i % 37, 'x');
    WriteFile(root_ + "/box/" + name, "");
    want.insert(name);
  }
  std::multiset<std::string> got;
  uint64_t cookie = 0;
  uint32_t buf_len = 40;
  for (int calls = 0; calls < 10000; ++calls) {
    ASSERT_EQ(FdReaddir(ctx_, g_.mem(), 3, 4096, buf_len, cookie, 100),
              Errno::kSuccess);
    const uint32_t used = g_.Load<uint32_t>(100);
    uint32_t at = 0;
    int whole = 0;
    while (at + kDirentSize <= used) {
      const uint32_t namlen = g_.Load<uint32_t>(4096 + at + 16);
      if (at + kDirentSize + namlen > used) break;
      got.insert(g_.Get(4096 + at + kDirentSize, namlen));
      cookie = g_.Load<uint64_t>(4096 + at);
      at += kDirentSize + namlen;
      ++whole;
    }
    if (used < buf_len) break;          // the end of the directory
    if (whole == 0) buf_len *= 2;       // one entry did not fit
  }
  EXPECT_EQ(got.size(), want.size());
  EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), want);
}

TEST_F(FsTest, PollOneoff) {
  // One relative clock subscription of 1 ms.
  const uint32_t in = 5000, out = 6000;
  g_.Store<uint64_t>(in, 0xabcdef);
  g_.Store<uint8_t>(in + 8, kEventClock);
  g_.Store<uint32_t>(in + 16, kClockMonotonic);
  g_.Store<uint64_t>(in + 24, 1000000);
  ASSERT_EQ(PollOneoff(ctx_, g_.mem(), in, out, 1, 100), Errno::kSuccess);
  EXPECT_EQ(g_.Load<uint32_t>(100), 1u);
  EXPECT_EQ(g_.Load<uint64_t>(out), 0xabcdefu);
  EXPECT_EQ(g_.Load<uint16_t>(out + 8), 0u);
  EXPECT_EQ(g_.Load<uint8_t>(out + 10), kEventClock);
  // A file is always readable; a bad fd is reported in its event.
  uint32_t fd;
  ASSERT_EQ(Open("file", 0, rights::kFdRead | rights::kPollFdReadwrite, &fd),
            Errno::kSuccess);
  g_.Store<uint64_t>(in + 48, 7);
  g_.Store<uint8_t>(in + 56, kEventFdRead);
  g_.Store<uint32_t>(in + 64, fd);
  g_.Store<uint64_t>(in + 96, 8);
  g_.Store<uint8_t>(in + 104, kEventFdRead);
  g_.Store<uint32_t>(in + 112, 999);
  ASSERT_EQ(PollOneoff(ctx_, g_.mem(), in + 48, out, 2, 100), Errno::kSuccess);
  ASSERT_EQ(g_.Load<uint32_t>(100), 2u);
  bool saw_file = false, saw_bad = false;
  for (int i = 0; i < 2; ++i) {
    const uint32_t ev = out + i * kEventSize;
    if (g_.Load<uint64_t>(ev) == 7) {
      saw_file = true;
      EXPECT_EQ(g_.Load<uint16_t>(ev + 8), 0u);
      EXPECT_EQ(g_.Load<uint64_t>(ev + 16), 10u);  // bytes available
    } else if (g_.Load<uint64_t>(ev) == 8) {
      saw_bad = true;
      EXPECT_EQ(g_.Load<uint16_t>(ev + 8), static_cast<uint16_t>(Errno::kBadf));
    }
  }
  EXPECT_TRUE(saw_file && saw_bad);
  EXPECT_EQ(PollOneoff(ctx_, g_.mem(), in, out, 0, 100), Errno::kInval);
  EXPECT_EQ(PollOneoff(ctx_, g_.mem(), 65500, out, 1, 100), Errno::kFault);
  EXPECT_EQ(PollOneoff(ctx_, g_.mem(), in, 65520, 1, 100), Errno::kFault);
  EXPECT_EQ(PollOneoff(ctx_, g_.mem(), in, out, 0x10000000, 100), Errno::kFault);
}

// Path resolution, through openat2 and through the component walk.
class EscapeTest : public FsTest,
                   public ::testing::WithParamInterface<ResolveMode> {
 protected:
  void SetUp() override {
    FsTest::SetUp();
    SetResolveMode(GetParam());
    const std::string box = root_ + "/box";
    mkdir((box + "/sub").c_str(), 0755);
    WriteFile(box + "/sub/inner", "inner");
    ASSERT_EQ(symlink("../secret", (box + "/out").c_str()), 0) << std::strerror(errno);
    ASSERT_EQ(symlink((root_ + "/secret").c_str(), (box + "/abs").c_str()), 0) << std::strerror(errno);
    ASSERT_EQ(symlink("..", (box + "/updir").c_str()), 0) << std::strerror(errno);
    ASSERT_EQ(symlink("sub/inner", (box + "/in").c_str()), 0) << std::strerror(errno);
    ASSERT_EQ(symlink("../sub", (box + "/sub/self").c_str()), 0) << std::strerror(errno);
    ASSERT_EQ(symlink("loop", (box + "/loop").c_str()), 0) << std::strerror(errno);
  }
  void TearDown() override { SetResolveMode(ResolveMode::kAuto); }
};

TEST_P(EscapeTest, OpenStaysInside) {
  uint32_t fd;
  const Rights r = rights::kFdRead;
  EXPECT_EQ(Open("file", 0, r, &fd), Errno::kSuccess);
  EXPECT_EQ(Open("./sub/../file", 0, r, &fd), Errno::kSuccess);
  EXPECT_EQ(Open("in", 0, r, &fd), Errno::kSuccess);
  EXPECT_EQ(Open("sub/self/self/inner", 0, r, &fd), Errno::kSuccess);
  EXPECT_EQ(Open("sub//inner", 0, r, &fd), Errno::kSuccess);
  EXPECT_EQ(Open("..", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("../secret", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("sub/../../secret", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("/etc/passwd", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("out", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("abs", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("updir/secret", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("updir/box/file", 0, r, &fd), Errno::kNotcapable);
  EXPECT_EQ(Open("loop", 0, r, &fd), Errno::kLoop);
  EXPECT_EQ(Open("file/", 0, r, &fd), Errno::kNotdir);
  EXPECT_EQ(Open("missing", 0, r, &fd), Errno::kNoent);
  // Not following the last symlink: ELOOP instead of the target.
  EXPECT_EQ(Open("in", 0, r, &fd, /*lookup=*/0), Errno::kLoop);
  // Creating through an escaping link fails and creates nothing.
  EXPECT_EQ(Open("updir/created", kOflagCreat, r, &fd), Errno::kNotcapable);
  struct stat st;
  EXPECT_NE(stat((root_ + "/created").c_str(), &st), 0);
  std::string with_nul("fi\0le", 5);
  EXPECT_EQ(Open(with_nul, 0, r, &fd), Errno::kIlseq);
}

TEST_P(EscapeTest, PathCallsStayInside) {
  EXPECT_EQ(Call(PathCreateDirectory, "../evil"), Errno::kNotcapable);
  EXPECT_EQ(Call(PathCreateDirectory, "updir/evil"), Errno::kNotcapable);
  EXPECT_EQ(Call(PathCreateDirectory, ".."), Errno::kNotcapable);
  EXPECT_EQ(Call(PathRemoveDirectory, "../box"), Errno::kNotcapable);
  EXPECT_EQ(Call(PathUnlinkFile, "../secret"), Errno::kNotcapable);
  EXPECT_EQ(Call(PathUnlinkFile, "updir/secret"), Errno::kNotcapable);
  // The link itself (inside) can be removed; its target stays.
  EXPECT_EQ(Call(PathUnlinkFile, "out"), Errno::kSuccess);
  struct stat st;
  EXPECT_EQ(stat((root_ + "/secret").c_str(), &st), 0);
  g_.Put(1000, "abs");
  EXPECT_EQ(PathFilestatGet(ctx_, g_.mem(), 3, kLookupSymlinkFollow, 1000, 3,
                            2000),
            Errno::kNotcapable);
  EXPECT_EQ(PathFilestatGet(ctx_, g_.mem(), 3, 0, 1000, 3, 2000),
            Errno::kSuccess);
  EXPECT_EQ(PathFilestatSetTimes(ctx_, g_.mem(), 3, kLookupSymlinkFollow, 1000,
                                 3, 0, 0, kFstflagMtimNow),
            Errno::kNotcapable);
  g_.Put(1100, "hard");
  EXPECT_EQ(PathLink(ctx_, g_.mem(), 3, kLookupSymlinkFollow, 1000, 3, 3, 1100,
                     4),
            Errno::kNotcapable);
  g_.Put(1000, "file");
  g_.Put(1100, "../stolen");
  EXPECT_EQ(PathRename(ctx_, g_.mem(), 3, 1000, 4, 3, 1100, 9),
            Errno::kNotcapable);
  g_.Put(1100, "updir/x");
  EXPECT_EQ(PathRename(ctx_, g_.mem(), 3, 1000, 4, 3, 1100, 7),
            Errno::kNotcapable);
  EXPECT_EQ(stat((root_ + "/stolen").c_str(), &st), -1);
  EXPECT_EQ(stat((root_ + "/x").c_str(), &st), -1);
  g_.Put(1000, "../secret");
  EXPECT_EQ(PathReadlink(ctx_, g_.mem(), 3, 1000, 9, 2000, 10, 2100),
            Errno::kNotcapable);
}

INSTANTIATE_TEST_SUITE_P(Modes, EscapeTest,
                         ::testing::Values(ResolveMode::kAuto,
                                           ResolveMode::kWalkOnly),
                         [](const auto& info) {
                           return info.param == ResolveMode::kAuto
                                      ? std::string("Openat2")
                                      : std::string("Walk");
                         });

}  // namespace
}  // namespace kiln::wasi
