// WasiCtx: the state a WASI preview1 guest sees: arguments, environment,
// the descriptor table (stdio, preopened directories, opened files) with
// the rights of each descriptor, and the exit code once proc_exit ran.
//
// Thread safety: wasi-threads runs guest threads that share one WasiCtx,
// so the table is guarded by a mutex and entries are reference-counted:
// Get hands out a FdRef that keeps the entry (and its host fd) alive for
// the call, and fd_close/fd_renumber drop the table's reference (the host
// fd is closed when the last call using it ends). Rights are atomic
// (fd_fdstat_set_rights may drop them while another thread checks them),
// fd_readdir's stream is used under readdir_mutex(). Arguments and
// environment are set before the guest runs and read-only after.
#ifndef KILN_WASI_WASI_CTX_H_
#define KILN_WASI_WASI_CTX_H_

#include <cstdint>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "wasi/errno.h"
#include "wasi/types.h"

namespace kiln::wasi {

// An open directory stream kept between fd_readdir calls, so listing a
// directory in many calls reads it once: `next` is the cookie of the
// entry the stream (or `pending`, an entry read but not fully delivered)
// yields next.
struct DirStream {
  struct Entry {
    std::string name;
    uint64_t ino = 0;
    Filetype type = Filetype::kUnknown;
  };
  DirStream() = default;
  DirStream(const DirStream&) = delete;
  DirStream& operator=(const DirStream&) = delete;
  ~DirStream();
  void* dir = nullptr;  // DIR*
  uint64_t next = 0;
  std::optional<Entry> pending;
};

// A rights word read and written with relaxed atomics (a plain load and
// store on x86-64), copyable so that an FdEntry can still be built and
// moved as a value.
class AtomicRights {
 public:
  AtomicRights(Rights r = 0) : v_(r) {}  // NOLINT: converts like Rights
  AtomicRights(const AtomicRights& o) : v_(Rights(o)) {}
  AtomicRights& operator=(const AtomicRights& o) { return *this = Rights(o); }
  AtomicRights& operator=(Rights r) {
    v_.store(r, std::memory_order_relaxed);
    return *this;
  }
  operator Rights() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<Rights> v_;
};

struct FdEntry {
  int host_fd = -1;
  bool owned = true;  // close host_fd when the entry goes away
  Filetype filetype = Filetype::kUnknown;
  AtomicRights base = 0;
  AtomicRights inheriting = 0;
  // Set for preopened directories: the name the guest sees.
  std::optional<std::string> preopen_name;
  // fd_readdir's stream (directories only, created on first use).
  std::unique_ptr<DirStream> dir_stream;
};

// A table entry held for the length of a call (see the thread-safety note
// above); nullptr for a descriptor that is not open.
using FdRef = std::shared_ptr<FdEntry>;

class WasiCtx {
 public:
  WasiCtx() = default;
  ~WasiCtx();
  WasiCtx(const WasiCtx&) = delete;
  WasiCtx& operator=(const WasiCtx&) = delete;

  // argv[0] is the program name the guest sees.
  void set_args(std::vector<std::string> args) { args_ = std::move(args); }
  // "NAME=VALUE" strings.
  void set_env(std::vector<std::string> env) { env_ = std::move(env); }
  const std::vector<std::string>& args() const { return args_; }
  const std::vector<std::string>& env() const { return env_; }

  // Guest fds 0, 1, 2 become the host's 0, 1, 2 (not closed by the ctx).
  void InheritStdio();
  // Guest fd `guest_fd` (0..2) becomes `host_fd`; `owned` closes it later.
  absl::Status SetStdio(uint32_t guest_fd, int host_fd, bool owned);
  // Opens the host directory `host_path` and gives it to the guest as the
  // preopen `guest_path` at the next free descriptor (3, 4, ... after
  // stdio). Errors name the host path.
  absl::Status PreopenDir(const std::string& host_path,
                          const std::string& guest_path);

  // The entry of `fd`, or nullptr.
  FdRef Get(uint32_t fd);
  // Puts `entry` at the lowest free descriptor >= `min_fd`; kNfile when
  // the table is full.
  Errno Insert(FdEntry entry, uint32_t* fd, uint32_t min_fd = 0);
  // Removes `fd` (closing its host fd if owned).
  Errno Close(uint32_t fd);
  // Moves `from` over `to` (closing what `to` held).
  Errno Renumber(uint32_t from, uint32_t to);

  // Set by proc_exit; the call that ran it then ends with a trap the
  // embedder recognizes by this being set.
  std::optional<uint32_t> exit_code() const {
    std::lock_guard<std::mutex> lock(mu_);
    return exit_code_;
  }
  void set_exit_code(uint32_t code) {
    std::lock_guard<std::mutex> lock(mu_);
    exit_code_ = code;
  }

  // Held by fd_readdir while it uses an entry's DirStream.
  std::mutex& readdir_mutex() { return readdir_mu_; }

  // Upper bound on descriptors (guards the table against a guest that
  // opens without closing).
  static constexpr uint32_t kMaxFds = 1u << 16;

 private:
  // Puts `entry` at `guest_fd` (0..2); the previous entry is returned so
  // that it is released after the lock.
  FdRef PutStdio(uint32_t guest_fd, FdRef entry);

  std::vector<std::string> args_;
  std::vector<std::string> env_;
  mutable std::mutex mu_;  // fds_ and exit_code_
  std::vector<FdRef> fds_;
  std::optional<uint32_t> exit_code_;
  std::mutex readdir_mu_;
};

// The WASI file type of a host fd (from fstat; sockets by SO_TYPE).
Filetype HostFiletype(int host_fd);

}  // namespace kiln::wasi

#endif  // KILN_WASI_WASI_CTX_H_
