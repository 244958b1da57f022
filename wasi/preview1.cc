// wasi_snapshot_preview1 over POSIX (see preview1.h).
#include "wasi/preview1.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "wasi/path.h"
#include "wasi/types.h"

namespace kiln::wasi::preview1 {
namespace {

constexpr uint32_t kMaxIovs = 1024;  // IOV_MAX; more is a short transfer

// Looks up `fd` and checks that it has all of `needed` rights.
Errno GetFd(WasiCtx& ctx, u32 fd, Rights needed, FdRef* out) {
  FdRef e = ctx.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  if ((e->base & needed) != needed) return Errno::kNotcapable;
  *out = std::move(e);
  return Errno::kSuccess;
}

// Reads the guest's iovec array into host iovecs, checking every buffer.
// An iovec is {buf, buf_len}, two pointer-sized fields.
Errno GatherIovs(M mem, Ptr iovs, Size iovs_len, std::vector<iovec>* out) {
  const uint64_t field = mem.ptr_size();
  if (!mem.InBoundsArray(iovs, iovs_len, 2 * field)) return Errno::kFault;
  const u32 n = static_cast<u32>(std::min<uint64_t>(iovs_len, kMaxIovs));
  out->clear();
  out->reserve(n);
  for (u32 i = 0; i < n; ++i) {
    uint64_t buf = 0, len = 0;
    mem.LoadPtr(iovs + i * 2 * field, &buf);
    mem.LoadPtr(iovs + i * 2 * field + field, &len);
    uint8_t* p = mem.Slice(buf, len);
    if (p == nullptr) return Errno::kFault;
    out->push_back(iovec{p, len});
  }
  return Errno::kSuccess;
}

bool ReadPath(M mem, Ptr path, Size len, std::string* out) {
  std::string_view v;
  if (!mem.ReadString(path, len, &v)) return false;
  *out = std::string(v);
  return true;
}

uint64_t ToNs(const timespec& ts) {
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<uint64_t>(ts.tv_nsec);
}

bool HostClock(u32 id, clockid_t* out) {
  switch (id) {
    case kClockRealtime: *out = CLOCK_REALTIME; return true;
    case kClockMonotonic: *out = CLOCK_MONOTONIC; return true;
    case kClockProcessCputime: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case kClockThreadCputime: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

Filetype ModeFiletype(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFBLK: return Filetype::kBlockDevice;
    case S_IFCHR: return Filetype::kCharacterDevice;
    case S_IFDIR: return Filetype::kDirectory;
    case S_IFREG: return Filetype::kRegularFile;
    case S_IFLNK: return Filetype::kSymbolicLink;
    case S_IFSOCK: return Filetype::kSocketStream;
    default: return Filetype::kUnknown;
  }
}

Errno StoreFilestat(M mem, Ptr out, const struct stat& st) {
  uint8_t buf[kFilestatSize] = {};
  uint64_t dev = st.st_dev, ino = st.st_ino, nlink = st.st_nlink,
           size = static_cast<uint64_t>(st.st_size);
  uint64_t atim = ToNs(st.st_atim), mtim = ToNs(st.st_mtim),
           ctim = ToNs(st.st_ctim);
  std::memcpy(buf + 0, &dev, 8);
  std::memcpy(buf + 8, &ino, 8);
  buf[16] = static_cast<uint8_t>(ModeFiletype(st.st_mode));
  std::memcpy(buf + 24, &nlink, 8);
  std::memcpy(buf + 32, &size, 8);
  std::memcpy(buf + 40, &atim, 8);
  std::memcpy(buf + 48, &mtim, 8);
  std::memcpy(buf + 56, &ctim, 8);
  return mem.Write(out, buf, sizeof(buf)) ? Errno::kSuccess : Errno::kFault;
}

// The two timespecs of utimensat/futimens for WASI fst_flags.
Errno TimesFor(u64 atim, u64 mtim, u32 fst, timespec ts[2]) {
  if (fst & ~0xfu) return Errno::kInval;
  if ((fst & kFstflagAtim) && (fst & kFstflagAtimNow)) return Errno::kInval;
  if ((fst & kFstflagMtim) && (fst & kFstflagMtimNow)) return Errno::kInval;
  auto one = [](u64 t, bool set, bool now, timespec* out) {
    if (now) {
      out->tv_sec = 0;
      out->tv_nsec = UTIME_NOW;
    } else if (set) {
      out->tv_sec = static_cast<time_t>(t / 1000000000ull);
      out->tv_nsec = static_cast<long>(t % 1000000000ull);
    } else {
      out->tv_sec = 0;
      out->tv_nsec = UTIME_OMIT;
    }
  };
  one(atim, fst & kFstflagAtim, fst & kFstflagAtimNow, &ts[0]);
  one(mtim, fst & kFstflagMtim, fst & kFstflagMtimNow, &ts[1]);
  return Errno::kSuccess;
}

std::string ProcFdPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// Directory fd with `needed` rights plus its path argument.
Errno DirAndPath(WasiCtx& ctx, M mem, u32 fd, Rights needed, Ptr path,
                 Size path_len, FdRef* dir, std::string* p) {
  Errno err = GetFd(ctx, fd, needed, dir);
  if (err != Errno::kSuccess) return err;
  if ((*dir)->filetype != Filetype::kDirectory) return Errno::kNotdir;
  if (!ReadPath(mem, path, path_len, p)) return Errno::kFault;
  return Errno::kSuccess;
}

// For the last component "." or "..": resolve the whole path (so an
// escape is still kNotcapable) and then fail with `err`.
Errno SpecialName(int dirfd, const std::string& path, Errno err) {
  UniqueFd fd;
  Errno e = OpenBeneath(dirfd, path, O_PATH | O_DIRECTORY, 0, true, &fd);
  return e != Errno::kSuccess ? e : err;
}

Errno SockCheck(WasiCtx& ctx, u32 fd) {
  FdRef e = ctx.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  if (e->filetype != Filetype::kSocketStream &&
      e->filetype != Filetype::kSocketDgram) {
    return Errno::kNotsock;
  }
  return Errno::kNotsup;
}

}  // namespace

// True if `value` fits the guest's size_t.
bool FitsSize(M mem, uint64_t value) {
  return mem.abi() == Abi::kWasm64 || value <= std::numeric_limits<u32>::max();
}

Errno ArgsSizesGet(WasiCtx& ctx, M mem, Ptr argc_out, Ptr buf_size_out) {
  uint64_t size = 0;
  for (const std::string& a : ctx.args()) size += a.size() + 1;
  if (!FitsSize(mem, size)) return Errno::kOverflow;
  if (!mem.StorePtr(argc_out, ctx.args().size()) ||
      !mem.StorePtr(buf_size_out, size)) {
    return Errno::kFault;
  }
  return Errno::kSuccess;
}

namespace {
Errno PutStrings(M mem, const std::vector<std::string>& strs, Ptr ptrs,
                 Ptr buf) {
  uint64_t total = 0;
  for (const std::string& s : strs) total += s.size() + 1;
  const uint64_t field = mem.ptr_size();
  if (!mem.InBoundsArray(ptrs, strs.size(), field) ||
      !mem.InBounds(buf, total)) {
    return Errno::kFault;
  }
  uint64_t at = buf;
  for (size_t i = 0; i < strs.size(); ++i) {
    mem.StorePtr(ptrs + field * i, at);
    mem.Write(at, strs[i].c_str(), strs[i].size() + 1);
    at += strs[i].size() + 1;
  }
  return Errno::kSuccess;
}
}  // namespace

Errno ArgsGet(WasiCtx& ctx, M mem, Ptr argv, Ptr argv_buf) {
  return PutStrings(mem, ctx.args(), argv, argv_buf);
}

Errno EnvironSizesGet(WasiCtx& ctx, M mem, Ptr count_out, Ptr buf_size_out) {
  uint64_t size = 0;
  for (const std::string& a : ctx.env()) size += a.size() + 1;
  if (!FitsSize(mem, size)) return Errno::kOverflow;
  if (!mem.StorePtr(count_out, ctx.env().size()) ||
      !mem.StorePtr(buf_size_out, size)) {
    return Errno::kFault;
  }
  return Errno::kSuccess;
}

Errno EnvironGet(WasiCtx& ctx, M mem, Ptr environ, Ptr environ_buf) {
  return PutStrings(mem, ctx.env(), environ, environ_buf);
}

Errno ClockResGet(WasiCtx&, M mem, u32 clock_id, Ptr res_out) {
  clockid_t id;
  if (!HostClock(clock_id, &id)) return Errno::kInval;
  timespec ts;
  if (clock_getres(id, &ts) != 0) return LastHostErrno();
  return mem.Store<u64>(res_out, ToNs(ts)) ? Errno::kSuccess : Errno::kFault;
}

Errno ClockTimeGet(WasiCtx&, M mem, u32 clock_id, u64, Ptr time_out) {
  clockid_t id;
  if (!HostClock(clock_id, &id)) return Errno::kInval;
  timespec ts;
  if (clock_gettime(id, &ts) != 0) return LastHostErrno();
  return mem.Store<u64>(time_out, ToNs(ts)) ? Errno::kSuccess : Errno::kFault;
}

Errno FdAdvise(WasiCtx& ctx, M, u32 fd, u64 offset, u64 len, u32 advice) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdAdvise, &e); err != Errno::kSuccess) {
    return err;
  }
  static constexpr int kHost[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL,
                                  POSIX_FADV_RANDOM, POSIX_FADV_WILLNEED,
                                  POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (advice > 5) return Errno::kInval;
  if (offset > static_cast<u64>(std::numeric_limits<off_t>::max()) ||
      len > static_cast<u64>(std::numeric_limits<off_t>::max())) {
    return Errno::kInval;
  }
  int r = posix_fadvise(e->host_fd, static_cast<off_t>(offset),
                        static_cast<off_t>(len), kHost[advice]);
  return r == 0 ? Errno::kSuccess : FromHostErrno(r);
}

// Not supported, as in wasmtime: posix_fallocate reserves real disk blocks,
// so a guest could fill the host's disk with one call (a random-call test
// did: 46 GB). ftruncate-grown files stay sparse instead.
Errno FdAllocate(WasiCtx& ctx, M, u32 fd, u64, u64) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdAllocate, &e); err != Errno::kSuccess) {
    return err;
  }
  return Errno::kNotsup;
}

Errno FdClose(WasiCtx& ctx, M, u32 fd) { return ctx.Close(fd); }

Errno FdDatasync(WasiCtx& ctx, M, u32 fd) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdDatasync, &e); err != Errno::kSuccess) {
    return err;
  }
  return fdatasync(e->host_fd) == 0 ? Errno::kSuccess : LastHostErrno();
}

Errno FdSync(WasiCtx& ctx, M, u32 fd) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdSync, &e); err != Errno::kSuccess) {
    return err;
  }
  return fsync(e->host_fd) == 0 ? Errno::kSuccess : LastHostErrno();
}

Errno FdFdstatGet(WasiCtx& ctx, M mem, u32 fd, Ptr stat_out) {
  FdRef e = ctx.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  int fl = fcntl(e->host_fd, F_GETFL);
  if (fl < 0) return LastHostErrno();
  uint16_t flags = 0;
  if (fl & O_APPEND) flags |= kFdflagAppend;
  if (fl & O_NONBLOCK) flags |= kFdflagNonblock;
  if ((fl & O_SYNC) == O_SYNC) {
    flags |= kFdflagSync;
  } else if (fl & O_DSYNC) {
    flags |= kFdflagDsync;
  }
  uint8_t buf[kFdstatSize] = {};
  buf[0] = static_cast<uint8_t>(e->filetype);
  std::memcpy(buf + 2, &flags, 2);
  const Rights base = e->base, inheriting = e->inheriting;
  std::memcpy(buf + 8, &base, 8);
  std::memcpy(buf + 16, &inheriting, 8);
  return mem.Write(stat_out, buf, sizeof(buf)) ? Errno::kSuccess : Errno::kFault;
}

Errno FdFdstatSetFlags(WasiCtx& ctx, M, u32 fd, u32 flags) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdFdstatSetFlags, &e);
      err != Errno::kSuccess) {
    return err;
  }
  if (flags & ~0x1fu) return Errno::kInval;
  if (flags & (kFdflagDsync | kFdflagRsync | kFdflagSync)) {
    return Errno::kNotsup;  // Linux cannot change these after open
  }
  int fl = fcntl(e->host_fd, F_GETFL);
  if (fl < 0) return LastHostErrno();
  int want = fl & ~(O_APPEND | O_NONBLOCK);
  if (flags & kFdflagAppend) want |= O_APPEND;
  if (flags & kFdflagNonblock) want |= O_NONBLOCK;
  if (want == fl) return Errno::kSuccess;
  // The flags live in the open file description, which an inherited
  // descriptor (stdio) shares with the embedder and its parent (a shell
  // left with a non-blocking tty): only the guest's own files change.
  if (!e->owned) return Errno::kNotsup;
  return fcntl(e->host_fd, F_SETFL, want) == 0 ? Errno::kSuccess
                                               : LastHostErrno();
}

Errno FdFdstatSetRights(WasiCtx& ctx, M, u32 fd, u64 base, u64 inheriting) {
  FdRef e = ctx.Get(fd);
  if (e == nullptr) return Errno::kBadf;
  // Rights can only be dropped.
  if ((base & ~e->base) != 0 || (inheriting & ~e->inheriting) != 0) {
    return Errno::kNotcapable;
  }
  e->base = base;
  e->inheriting = inheriting;
  return Errno::kSuccess;
}

Errno FdFilestatGet(WasiCtx& ctx, M mem, u32 fd, Ptr stat_out) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdFilestatGet, &e);
      err != Errno::kSuccess) {
    return err;
  }
  struct stat st;
  if (fstat(e->host_fd, &st) != 0) return LastHostErrno();
  return StoreFilestat(mem, stat_out, st);
}

Errno FdFilestatSetSize(WasiCtx& ctx, M, u32 fd, u64 size) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdFilestatSetSize, &e);
      err != Errno::kSuccess) {
    return err;
  }
  if (size > static_cast<u64>(std::numeric_limits<off_t>::max())) {
    return Errno::kInval;
  }
  return ftruncate(e->host_fd, static_cast<off_t>(size)) == 0 ? Errno::kSuccess
                                                              : LastHostErrno();
}

Errno FdFilestatSetTimes(WasiCtx& ctx, M, u32 fd, u64 atim, u64 mtim,
                         u32 fst_flags) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdFilestatSetTimes, &e);
      err != Errno::kSuccess) {
    return err;
  }
  timespec ts[2];
  if (Errno err = TimesFor(atim, mtim, fst_flags, ts); err != Errno::kSuccess) {
    return err;
  }
  return futimens(e->host_fd, ts) == 0 ? Errno::kSuccess : LastHostErrno();
}

// The shape shared by fd_read, fd_write, fd_pread and fd_pwrite: check the
// fd's rights and the guest's buffers, run `io` on the gathered iovecs
// (retrying on EINTR), store the byte count.
template <typename Io>
Errno VectoredIo(WasiCtx& ctx, M mem, u32 fd, Rights needed_rights,
                 Ptr iovs, Size iovs_len, Ptr count_out, Io io) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, needed_rights, &e); err != Errno::kSuccess) {
    return err;
  }
  if (!mem.InBounds(count_out, mem.ptr_size())) return Errno::kFault;
  std::vector<iovec> v;
  if (Errno err = GatherIovs(mem, iovs, iovs_len, &v); err != Errno::kSuccess) {
    return err;
  }
  ssize_t n;
  do {
    n = io(e->host_fd, v.data(), static_cast<int>(v.size()));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return LastHostErrno();
  mem.StorePtr(count_out, static_cast<uint64_t>(n));
  return Errno::kSuccess;
}

bool OffsetFitsOffT(u64 offset) {
  return offset <= static_cast<u64>(std::numeric_limits<off_t>::max());
}

Errno FdPread(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
              u64 offset, Ptr nread_out) {
  // Rights and buffers are checked before the offset, as before.
  auto io = [&](int host_fd, const iovec* v, int n) -> ssize_t {
    if (!OffsetFitsOffT(offset)) {
      errno = EINVAL;
      return -1;
    }
    return preadv(host_fd, v, n, static_cast<off_t>(offset));
  };
  return VectoredIo(ctx, mem, fd, rights::kFdRead | rights::kFdSeek, iovs,
                    iovs_len, nread_out, io);
}

Errno FdPwrite(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
               u64 offset, Ptr nwritten_out) {
  auto io = [&](int host_fd, const iovec* v, int n) -> ssize_t {
    if (!OffsetFitsOffT(offset)) {
      errno = EINVAL;
      return -1;
    }
    return pwritev(host_fd, v, n, static_cast<off_t>(offset));
  };
  return VectoredIo(ctx, mem, fd, rights::kFdWrite | rights::kFdSeek, iovs,
                    iovs_len, nwritten_out, io);
}

Errno FdRead(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
             Ptr nread_out) {
  return VectoredIo(ctx, mem, fd, rights::kFdRead, iovs, iovs_len, nread_out,
                    readv);
}

Errno FdWrite(WasiCtx& ctx, M mem, u32 fd, Ptr iovs, Size iovs_len,
              Ptr nwritten_out) {
  return VectoredIo(ctx, mem, fd, rights::kFdWrite, iovs, iovs_len,
                    nwritten_out, writev);
}

// A prestat {u8 tag (dir), SizeT pr_name_len} at `out` (fixed-size copies:
// this is on the host-call path).
template <typename SizeT>
bool StorePrestat(M mem, Ptr out, uint64_t len) {
  uint8_t buf[2 * sizeof(SizeT)] = {};
  buf[0] = kPreopentypeDir;
  const SizeT n = static_cast<SizeT>(len);
  std::memcpy(buf + sizeof(SizeT), &n, sizeof(SizeT));
  return mem.Write(out, buf, sizeof(buf));
}

Errno FdPrestatGet(WasiCtx& ctx, M mem, u32 fd, Ptr prestat_out) {
  FdRef e = ctx.Get(fd);
  if (e == nullptr || !e->preopen_name.has_value()) return Errno::kBadf;
  // {u8 tag, size_t pr_name_len}: the length sits at the pointer width.
  const uint64_t len = e->preopen_name->size();
  const bool ok = mem.abi() == Abi::kWasm64
                      ? StorePrestat<uint64_t>(mem, prestat_out, len)
                      : StorePrestat<uint32_t>(mem, prestat_out, len);
  return ok ? Errno::kSuccess : Errno::kFault;
}

Errno FdPrestatDirName(WasiCtx& ctx, M mem, u32 fd, Ptr path, Size path_len) {
  FdRef e = ctx.Get(fd);
  if (e == nullptr || !e->preopen_name.has_value()) return Errno::kBadf;
  const std::string& name = *e->preopen_name;
  if (path_len < name.size()) return Errno::kNametoolong;
  return mem.Write(path, name.data(), name.size()) ? Errno::kSuccess
                                                   : Errno::kFault;
}

Errno FdReaddir(WasiCtx& ctx, M mem, u32 fd, Ptr buf, Size buf_len,
                u64 cookie, Ptr bufused_out) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdReaddir, &e); err != Errno::kSuccess) {
    return err;
  }
  if (e->filetype != Filetype::kDirectory) return Errno::kNotdir;
  // The entry's stream is shared state (wasi-threads: another thread may
  // list the same descriptor).
  std::lock_guard<std::mutex> lock(ctx.readdir_mutex());
  if (!mem.InBounds(buf, buf_len) ||
      !mem.InBounds(bufused_out, mem.ptr_size())) {
    return Errno::kFault;
  }
  // Cookies are positions in the listing (entry i has d_next = i + 1). The
  // fd keeps its stream between calls; any other cookie than the one the
  // stream is at reopens it and skips, so every cookie stays valid while
  // the directory is unchanged.
  if (e->dir_stream == nullptr || e->dir_stream->next != cookie) {
    if (e->dir_stream != nullptr && cookie == 0) {
      rewinddir(static_cast<DIR*>(e->dir_stream->dir));
      e->dir_stream->next = 0;
      e->dir_stream->pending.reset();
    } else {
      e->dir_stream.reset();
      int dfd = openat(e->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0) return LastHostErrno();
      DIR* dir = fdopendir(dfd);
      if (dir == nullptr) {
        Errno err = LastHostErrno();
        close(dfd);
        return err;
      }
      e->dir_stream = std::make_unique<DirStream>();
      e->dir_stream->dir = dir;
    }
  }
  DirStream& ds = *e->dir_stream;
  DIR* dir = static_cast<DIR*>(ds.dir);
  auto next_entry = [&](DirStream::Entry* out) -> bool {
    if (ds.pending.has_value()) {
      *out = std::move(*ds.pending);
      ds.pending.reset();
      return true;
    }
    struct dirent* d = readdir(dir);
    if (d == nullptr) return false;
    out->name = d->d_name;
    out->ino = d->d_ino;
    switch (d->d_type) {
      case DT_BLK: out->type = Filetype::kBlockDevice; break;
      case DT_CHR: out->type = Filetype::kCharacterDevice; break;
      case DT_DIR: out->type = Filetype::kDirectory; break;
      case DT_REG: out->type = Filetype::kRegularFile; break;
      case DT_LNK: out->type = Filetype::kSymbolicLink; break;
      case DT_SOCK: out->type = Filetype::kSocketStream; break;
      case DT_UNKNOWN: {
        struct stat st;
        out->type = fstatat(e->host_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
                        ? ModeFiletype(st.st_mode)
                        : Filetype::kUnknown;
        break;
      }
      default: out->type = Filetype::kUnknown; break;
    }
    return true;
  };
  // Skip to the cookie (a reopened stream).
  DirStream::Entry ent;
  while (ds.next < cookie) {
    if (!next_entry(&ent)) break;
    ++ds.next;
  }
  u64 used = 0;
  while (used < buf_len) {
    if (!next_entry(&ent)) break;
    const u32 namlen = static_cast<u32>(ent.name.size());
    uint8_t head[kDirentSize] = {};
    const u64 next = ds.next + 1;
    std::memcpy(head + 0, &next, 8);
    std::memcpy(head + 8, &ent.ino, 8);
    std::memcpy(head + 16, &namlen, 4);
    head[20] = static_cast<uint8_t>(ent.type);
    // An entry that does not fit is cut at the end of the buffer (the
    // guest sees a full buffer and asks again from its cookie) and stays
    // pending in the stream for that call.
    const u64 head_n = std::min<u64>(kDirentSize, buf_len - used);
    mem.Write(uint64_t{buf} + used, head, head_n);
    used += head_n;
    const u64 name_n = std::min<u64>(namlen, buf_len - used);
    mem.Write(uint64_t{buf} + used, ent.name.data(), name_n);
    used += name_n;
    if (head_n < kDirentSize || name_n < namlen) {
      ds.pending = std::move(ent);
      break;
    }
    ++ds.next;
  }
  mem.StorePtr(bufused_out, used);
  return Errno::kSuccess;
}

Errno FdRenumber(WasiCtx& ctx, M, u32 fd, u32 to) {
  return ctx.Renumber(fd, to);
}

Errno FdSeek(WasiCtx& ctx, M mem, u32 fd, u64 offset, u32 whence,
             Ptr newoffset_out) {
  // A pure "where am I" needs only kFdTell; anything else seeks.
  const Rights needed = (offset == 0 && whence == kWhenceCur)
                            ? rights::kFdTell
                            : rights::kFdSeek | rights::kFdTell;
  FdRef e;
  if (Errno err = GetFd(ctx, fd, needed, &e); err != Errno::kSuccess) {
    return err;
  }
  int w;
  switch (whence) {
    case kWhenceSet: w = SEEK_SET; break;
    case kWhenceCur: w = SEEK_CUR; break;
    case kWhenceEnd: w = SEEK_END; break;
    default: return Errno::kInval;
  }
  if (!mem.InBounds(newoffset_out, 8)) return Errno::kFault;
  off_t r = lseek(e->host_fd, static_cast<off_t>(offset), w);
  if (r < 0) return LastHostErrno();
  mem.Store<u64>(newoffset_out, static_cast<u64>(r));
  return Errno::kSuccess;
}

Errno FdTell(WasiCtx& ctx, M mem, u32 fd, Ptr offset_out) {
  FdRef e;
  if (Errno err = GetFd(ctx, fd, rights::kFdTell, &e); err != Errno::kSuccess) {
    return err;
  }
  if (!mem.InBounds(offset_out, 8)) return Errno::kFault;
  off_t r = lseek(e->host_fd, 0, SEEK_CUR);
  if (r < 0) return LastHostErrno();
  mem.Store<u64>(offset_out, static_cast<u64>(r));
  return Errno::kSuccess;
}

// The shape of path_create_directory, path_remove_directory and
// path_unlink_file: open the parent of `path` beneath the directory fd; a
// last component "." or ".." fails with special_errno(name) (after checking
// the path stays inside); otherwise `op(parent_fd, name)` is the *at call.
template <typename SpecialErrno, typename Op>
Errno OnParentEntry(WasiCtx& ctx, M mem, u32 fd, Rights needed, Ptr path,
                    Size path_len, SpecialErrno special_errno, Op op) {
  FdRef dir;
  std::string p;
  if (Errno err = DirAndPath(ctx, mem, fd, needed, path, path_len, &dir, &p);
      err != Errno::kSuccess) {
    return err;
  }
  ParentAndName pn;
  if (Errno err = OpenParent(dir->host_fd, p, &pn); err != Errno::kSuccess) {
    return err;
  }
  if (pn.special) return SpecialName(dir->host_fd, p, special_errno(pn.name));
  return op(pn.parent.get(), pn.name.c_str()) == 0 ? Errno::kSuccess
                                                   : LastHostErrno();
}

Errno PathCreateDirectory(WasiCtx& ctx, M mem, u32 fd, Ptr path,
                          Size path_len) {
  return OnParentEntry(
      ctx, mem, fd, rights::kPathCreateDirectory, path, path_len,
      [](const std::string&) { return Errno::kExist; },
      [](int parent, const char* name) { return mkdirat(parent, name, 0777); });
}

Errno PathFilestatGet(WasiCtx& ctx, M mem, u32 fd, u32 flags, Ptr path,
                      Size path_len, Ptr stat_out) {
  FdRef dir;
  std::string p;
  if (Errno err = DirAndPath(ctx, mem, fd, rights::kPathFilestatGet, path,
                             path_len, &dir, &p);
      err != Errno::kSuccess) {
    return err;
  }
  if (!mem.InBounds(stat_out, kFilestatSize)) return Errno::kFault;
  UniqueFd f;
  if (Errno err = OpenBeneath(dir->host_fd, p, O_PATH, 0,
                              flags & kLookupSymlinkFollow, &f);
      err != Errno::kSuccess) {
    return err;
  }
  struct stat st;
  if (fstat(f.get(), &st) != 0) return LastHostErrno();
  return StoreFilestat(mem, stat_out, st);
}

Errno PathFilestatSetTimes(WasiCtx& ctx, M mem, u32 fd, u32 flags, Ptr path,
                           Size path_len, u64 atim, u64 mtim, u32 fst_flags) {
  FdRef dir;
  std::string p;
  if (Errno err = DirAndPath(ctx, mem, fd, rights::kPathFilestatSetTimes, path,
                             path_len, &dir, &p);
      err != Errno::kSuccess) {
    return err;
  }
  timespec ts[2];
  if (Errno err = TimesFor(atim, mtim, fst_flags, ts); err != Errno::kSuccess) {
    return err;
  }
  const bool follow = flags & kLookupSymlinkFollow;
  UniqueFd f;
  if (Errno err = OpenBeneath(dir->host_fd, p, O_PATH, 0, follow, &f);
      err != Errno::kSuccess) {
    return err;
  }
  struct stat st;
  if (fstat(f.get(), &st) != 0) return LastHostErrno();
  if (S_ISLNK(st.st_mode)) {
    // The link itself (not followed): through its parent.
    ParentAndName pn;
    if (Errno err = OpenParent(dir->host_fd, p, &pn); err != Errno::kSuccess) {
      return err;
    }
    return utimensat(pn.parent.get(), pn.name.c_str(), ts,
                     AT_SYMLINK_NOFOLLOW) == 0
               ? Errno::kSuccess
               : LastHostErrno();
  }
  // The resolved file, through its O_PATH descriptor.
  return utimensat(AT_FDCWD, ProcFdPath(f.get()).c_str(), ts, 0) == 0
             ? Errno::kSuccess
             : LastHostErrno();
}

Errno PathLink(WasiCtx& ctx, M mem, u32 old_fd, u32 old_flags, Ptr old_path,
               Size old_path_len, u32 new_fd, Ptr new_path, Size new_path_len) {
  FdRef old_dir;
  FdRef new_dir;
  std::string op, np;
  if (Errno err = DirAndPath(ctx, mem, old_fd, rights::kPathLinkSource,
                             old_path, old_path_len, &old_dir, &op);
      err != Errno::kSuccess) {
    return err;
  }
  if (Errno err = DirAndPath(ctx, mem, new_fd, rights::kPathLinkTarget,
                             new_path, new_path_len, &new_dir, &np);
      err != Errno::kSuccess) {
    return err;
  }
  ParentAndName to;
  if (Errno err = OpenParent(new_dir->host_fd, np, &to); err != Errno::kSuccess) {
    return err;
  }
  if (to.special) return SpecialName(new_dir->host_fd, np, Errno::kExist);
  if (old_flags & kLookupSymlinkFollow) {
    UniqueFd f;
    if (Errno err = OpenBeneath(old_dir->host_fd, op, O_PATH, 0, true, &f);
        err != Errno::kSuccess) {
      return err;
    }
    return linkat(AT_FDCWD, ProcFdPath(f.get()).c_str(), to.parent.get(),
                  to.name.c_str(), AT_SYMLINK_FOLLOW) == 0
               ? Errno::kSuccess
               : LastHostErrno();
  }
  ParentAndName from;
  if (Errno err = OpenParent(old_dir->host_fd, op, &from); err != Errno::kSuccess) {
    return err;
  }
  if (from.special) return SpecialName(old_dir->host_fd, op, Errno::kPerm);
  return linkat(from.parent.get(), from.name.c_str(), to.parent.get(),
                to.name.c_str(), 0) == 0
             ? Errno::kSuccess
             : LastHostErrno();
}

Errno PathOpen(WasiCtx& ctx, M mem, u32 dirfd, u32 dirflags, Ptr path,
               Size path_len, u32 oflags, u64 rights_base,
               u64 rights_inheriting, u32 fdflags, Ptr fd_out) {
  Rights needed = rights::kPathOpen;
  if (oflags & kOflagCreat) needed |= rights::kPathCreateFile;
  if (oflags & kOflagTrunc) needed |= rights::kPathFilestatSetSize;
  FdRef dir;
  std::string p;
  if (Errno err = DirAndPath(ctx, mem, dirfd, needed, path, path_len, &dir, &p);
      err != Errno::kSuccess) {
    return err;
  }
  if (oflags & ~0xfu) return Errno::kInval;
  if (fdflags & ~0x1fu) return Errno::kInval;
  if (!mem.InBounds(fd_out, 4)) return Errno::kFault;
  // The new descriptor may only have rights the directory passes on.
  if ((rights_base & ~dir->inheriting) != 0 ||
      (rights_inheriting & ~dir->inheriting) != 0) {
    return Errno::kNotcapable;
  }
  const bool read = rights_base & (rights::kFdRead | rights::kFdReaddir);
  const bool write =
      rights_base & (rights::kFdWrite | rights::kFdAllocate |
                     rights::kFdFilestatSetSize);
  int flags = 0;
  if (oflags & kOflagDirectory) {
    if (oflags & (kOflagCreat | kOflagTrunc)) return Errno::kInval;
    flags = O_RDONLY | O_DIRECTORY;
  } else if (write) {
    flags = read ? O_RDWR : O_WRONLY;
  } else {
    flags = O_RDONLY;
  }
  if (oflags & kOflagCreat) flags |= O_CREAT;
  if (oflags & kOflagExcl) flags |= O_EXCL;
  if (oflags & kOflagTrunc) flags |= O_TRUNC;
  if (fdflags & kFdflagAppend) flags |= O_APPEND;
  if (fdflags & kFdflagNonblock) flags |= O_NONBLOCK;
  if (fdflags & kFdflagDsync) flags |= O_DSYNC;
  if (fdflags & kFdflagRsync) flags |= O_RSYNC;
  if (fdflags & kFdflagSync) flags |= O_SYNC;
  UniqueFd f;
  if (Errno err = OpenBeneath(dir->host_fd, p, flags, 0666,
                              dirflags & kLookupSymlinkFollow, &f);
      err != Errno::kSuccess) {
    return err;
  }
  FdEntry e;
  e.filetype = HostFiletype(f.get());
  e.host_fd = f.release();
  e.owned = true;
  e.base = rights_base;
  e.inheriting = rights_inheriting;
  u32 fd;
  if (Errno err = ctx.Insert(std::move(e), &fd); err != Errno::kSuccess) {
    return err;
  }
  mem.Store<u32>(fd_out, fd);
  return Errno::kSuccess;
}

Errno PathReadlink(WasiCtx& ctx, M mem, u32 fd, Ptr path, Size path_len,
                   Ptr buf, Size buf_len, Ptr bufused_out) {
  FdRef dir;
  std::string p;
  if (Errno err = DirAndPath(ctx, mem, fd, rights::kPathReadlink, path,
                             path_len, &dir, &p);
      err != Errno::kSuccess) {
    return err;
  }
  uint8_t* out = mem.Slice(buf, buf_len);
  if (out == nullptr || !mem.InBounds(bufused_out, mem.ptr_size())) {
    return Errno::kFault;
  }
  ParentAndName pn;
  if (Errno err = OpenParent(dir->host_fd, p, &pn); err != Errno::kSuccess) {
    return err;
  }
  if (pn.special) return SpecialName(dir->host_fd, p, Errno::kInval);
  // Read into a host buffer first: the result is truncated to buf_len.
  std::string target(PATH_MAX, '\0');
  ssize_t n = readlinkat(pn.parent.get(), pn.name.c_str(), target.data(),
                         target.size());
  if (n < 0) return LastHostErrno();
  const uint64_t copy = std::min<uint64_t>(n, buf_len);
  if (copy != 0) std::memcpy(out, target.data(), copy);
  mem.StorePtr(bufused_out, copy);
  return Errno::kSuccess;
}

Errno PathRemoveDirectory(WasiCtx& ctx, M mem, u32 fd, Ptr path,
                          Size path_len) {
  return OnParentEntry(
      ctx, mem, fd, rights::kPathRemoveDirectory, path, path_len,
      [](const std::string& name) {
        return name[0] == '.' && (name == "." || name == "./")
                   ? Errno::kInval
                   : Errno::kNotempty;
      },
      [](int parent, const char* name) {
        return unlinkat(parent, name, AT_REMOVEDIR);
      });
}

Errno PathRename(WasiCtx& ctx, M mem, u32 fd, Ptr old_path, Size old_path_len,
                 u32 new_fd, Ptr new_path, Size new_path_len) {
  FdRef old_dir;
  FdRef new_dir;
  std::string op, np;
  if (Errno err = DirAndPath(ctx, mem, fd, rights::kPathRenameSource, old_path,
                             old_path_len, &old_dir, &op);
      err != Errno::kSuccess) {
    return err;
  }
  if (Errno err = DirAndPath(ctx, mem, new_fd, rights::kPathRenameTarget,
                             new_path, new_path_len, &new_dir, &np);
      err != Errno::kSuccess) {
    return err;
  }
  ParentAndName from, to;
  if (Errno err = OpenParent(old_dir->host_fd, op, &from); err != Errno::kSuccess) {
    return err;
  }
  if (Errno err = OpenParent(new_dir->host_fd, np, &to); err != Errno::kSuccess) {
    return err;
  }
  if (from.special) return SpecialName(old_dir->host_fd, op, Errno::kBusy);
  if (to.special) return SpecialName(new_dir->host_fd, np, Errno::kBusy);
  return renameat(from.parent.get(), from.name.c_str(), to.parent.get(),
                  to.name.c_str()) == 0
             ? Errno::kSuccess
             : LastHostErrno();
}

Errno PathSymlink(WasiCtx& ctx, M mem, Ptr old_path, Size old_path_len,
                  u32 fd, Ptr new_path, Size new_path_len) {
  FdRef dir;
  std::string np;
  if (Errno err = DirAndPath(ctx, mem, fd, rights::kPathSymlink, new_path,
                             new_path_len, &dir, &np);
      err != Errno::kSuccess) {
    return err;
  }
  std::string target;
  if (!ReadPath(mem, old_path, old_path_len, &target)) return Errno::kFault;
  if (target.find('\0') != std::string::npos) return Errno::kIlseq;
  // An absolute target could only ever point outside the sandbox.
  if (!target.empty() && target[0] == '/') return Errno::kNotcapable;
  ParentAndName pn;
  if (Errno err = OpenParent(dir->host_fd, np, &pn); err != Errno::kSuccess) {
    return err;
  }
  if (pn.special) return SpecialName(dir->host_fd, np, Errno::kExist);
  return symlinkat(target.c_str(), pn.parent.get(), pn.name.c_str()) == 0
             ? Errno::kSuccess
             : LastHostErrno();
}

Errno PathUnlinkFile(WasiCtx& ctx, M mem, u32 fd, Ptr path, Size path_len) {
  return OnParentEntry(
      ctx, mem, fd, rights::kPathUnlinkFile, path, path_len,
      [](const std::string&) { return Errno::kIsdir; },
      [](int parent, const char* name) { return unlinkat(parent, name, 0); });
}

Errno PollOneoff(WasiCtx& ctx, M mem, Ptr in, Ptr out, Size nsubscriptions,
                 Ptr nevents_out) {
  if (nsubscriptions == 0) return Errno::kInval;
  if (!mem.InBoundsArray(in, nsubscriptions, kSubscriptionSize) ||
      !mem.InBoundsArray(out, nsubscriptions, kEventSize) ||
      !mem.InBounds(nevents_out, mem.ptr_size())) {
    return Errno::kFault;
  }
  struct Event {
    u64 userdata = 0;
    uint16_t error;
    uint8_t type;
    u64 nbytes;
    uint16_t flags;
  };
  std::vector<Event> ready;
  struct FdSub {
    u64 userdata = 0;
    uint8_t type;
    FdRef entry;
  };
  std::vector<FdSub> fd_subs;
  std::vector<pollfd> pfds;
  struct ClockSub {
    u64 userdata = 0;
    u64 deadline_ns;  // relative to `start` on CLOCK_MONOTONIC
  };
  std::vector<ClockSub> clocks;
  timespec start_ts;
  clock_gettime(CLOCK_MONOTONIC, &start_ts);
  const u64 start = ToNs(start_ts);
  for (uint64_t i = 0; i < nsubscriptions; ++i) {
    const uint64_t s = in + i * kSubscriptionSize;
    u64 userdata = 0;
    uint8_t tag = 0;
    mem.Load(s, &userdata);
    mem.Load(s + 8, &tag);
    if (tag == kEventClock) {
      u32 id = 0;
      u64 timeout = 0;
      uint16_t flags = 0;
      mem.Load(s + 16, &id);
      mem.Load(s + 24, &timeout);
      mem.Load(s + 40, &flags);
      clockid_t cid;
      if (!HostClock(id, &cid)) {
        ready.push_back({userdata, static_cast<uint16_t>(Errno::kInval),
                         kEventClock, 0, 0});
        continue;
      }
      u64 rel = timeout;
      if (flags & kSubclockAbstime) {
        timespec now;
        clock_gettime(cid, &now);
        const u64 n = ToNs(now);
        rel = timeout > n ? timeout - n : 0;
      }
      clocks.push_back({userdata, rel});
    } else if (tag == kEventFdRead || tag == kEventFdWrite) {
      u32 fd = 0;
      mem.Load(s + 16, &fd);
      FdRef e = ctx.Get(fd);
      if (e == nullptr) {
        ready.push_back(
            {userdata, static_cast<uint16_t>(Errno::kBadf), tag, 0, 0});
        continue;
      }
      if ((e->base & rights::kPollFdReadwrite) == 0) {
        ready.push_back(
            {userdata, static_cast<uint16_t>(Errno::kNotcapable), tag, 0, 0});
        continue;
      }
      fd_subs.push_back({userdata, tag, e});
      pfds.push_back(pollfd{e->host_fd,
                            static_cast<short>(tag == kEventFdRead ? POLLIN
                                                                   : POLLOUT),
                            0});
    } else {
      return Errno::kInval;
    }
  }
  // Wait only if nothing is ready yet: until the earliest clock, or for
  // ever when there is no clock.
  u64 wait_ns = std::numeric_limits<u64>::max();
  for (const ClockSub& c : clocks) wait_ns = std::min(wait_ns, c.deadline_ns);
  if (!ready.empty()) wait_ns = 0;
  int n_ready = 0;
  if (!pfds.empty()) {
    int timeout_ms =
        wait_ns == std::numeric_limits<u64>::max()
            ? -1
            : static_cast<int>(std::min<u64>((wait_ns + 999999) / 1000000,
                                             INT_MAX));
    int r;
    do {
      r = poll(pfds.data(), pfds.size(), timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return LastHostErrno();
    n_ready = r;
  } else if (wait_ns != 0 && wait_ns != std::numeric_limits<u64>::max()) {
    timespec req{static_cast<time_t>(wait_ns / 1000000000ull),
                 static_cast<long>(wait_ns % 1000000000ull)};
    while (nanosleep(&req, &req) != 0 && errno == EINTR) {
    }
  }
  for (size_t i = 0; i < pfds.size() && n_ready > 0; ++i) {
    const short re = pfds[i].revents;
    if (re == 0) continue;
    Event ev{fd_subs[i].userdata, 0, fd_subs[i].type, 0, 0};
    if (re & POLLNVAL) ev.error = static_cast<uint16_t>(Errno::kBadf);
    if (re & POLLHUP) ev.flags |= kEventRwHangup;
    if (fd_subs[i].type == kEventFdRead && ev.error == 0) {
      int avail = 0;
      if (fd_subs[i].entry->filetype == Filetype::kRegularFile) {
        struct stat st;
        off_t pos = lseek(pfds[i].fd, 0, SEEK_CUR);
        if (fstat(pfds[i].fd, &st) == 0 && pos >= 0 && st.st_size > pos) {
          ev.nbytes = static_cast<u64>(st.st_size - pos);
        }
      } else if (ioctl(pfds[i].fd, FIONREAD, &avail) == 0 && avail > 0) {
        ev.nbytes = static_cast<u64>(avail);
      }
    }
    ready.push_back(ev);
  }
  timespec now_ts;
  clock_gettime(CLOCK_MONOTONIC, &now_ts);
  const u64 elapsed = ToNs(now_ts) - start;
  const bool any_fd_ready = !ready.empty();
  for (const ClockSub& c : clocks) {
    // With no fd ready the wait ended at the earliest deadline.
    if (c.deadline_ns <= elapsed ||
        (!any_fd_ready && c.deadline_ns == wait_ns)) {
      ready.push_back({c.userdata, 0, kEventClock, 0, 0});
    }
  }
  uint64_t count = 0;
  for (const Event& ev : ready) {
    if (count == nsubscriptions) break;
    uint8_t buf[kEventSize] = {};
    std::memcpy(buf + 0, &ev.userdata, 8);
    std::memcpy(buf + 8, &ev.error, 2);
    buf[10] = ev.type;
    std::memcpy(buf + 16, &ev.nbytes, 8);
    std::memcpy(buf + 24, &ev.flags, 2);
    mem.Write(out + count * kEventSize, buf, sizeof(buf));
    ++count;
  }
  mem.StorePtr(nevents_out, count);
  return Errno::kSuccess;
}

void ProcExit(WasiCtx& ctx, M, u32 code) { ctx.set_exit_code(code); }

Errno ProcRaise(WasiCtx&, M, u32) { return Errno::kNosys; }

Errno SchedYield(WasiCtx&, M) {
  sched_yield();
  return Errno::kSuccess;
}

Errno RandomGet(WasiCtx&, M mem, Ptr buf, Size buf_len) {
  uint8_t* p = mem.Slice(buf, buf_len);
  if (p == nullptr) return Errno::kFault;
  size_t done = 0;
  while (done < buf_len) {
    ssize_t n = getrandom(p + done, buf_len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return LastHostErrno();
    }
    done += static_cast<size_t>(n);
  }
  return Errno::kSuccess;
}

Errno SockAccept(WasiCtx& ctx, M, u32 fd, u32, Ptr) {
  return SockCheck(ctx, fd);
}
Errno SockRecv(WasiCtx& ctx, M, u32 fd, Ptr, Size, u32, Ptr, Ptr) {
  return SockCheck(ctx, fd);
}
Errno SockSend(WasiCtx& ctx, M, u32 fd, Ptr, Size, u32, Ptr) {
  return SockCheck(ctx, fd);
}
Errno SockShutdown(WasiCtx& ctx, M, u32 fd, u32) { return SockCheck(ctx, fd); }

namespace {

// Raw-argument thunks: `a[k]` is argument k (an i32 zero-extended, a
// 'p' of either width and an i64 as is).
#define P(k) a[k]
#define I32(k) static_cast<u32>(a[k])
#define I64(k) a[k]
#define KILN_WASI_PREVIEW1(name, params, has_result, call)    \
  {#name, params, has_result,                                 \
   [](WasiCtx& c, M m, const uint64_t* a) -> uint32_t {       \
     (void)a;                                                 \
     return static_cast<uint32_t>(call);                      \
   }},

constexpr Function kFunctions[] = {
#include "wasi/preview1.def"
};

#undef KILN_WASI_PREVIEW1
#undef I64
#undef I32
#undef P

}  // namespace

absl::Span<const Function> Functions() { return kFunctions; }

const Function* FindFunction(std::string_view name) {
  for (const Function& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace kiln::wasi::preview1
