// WasiCtx (see wasi_ctx.h).
#include "wasi/wasi_ctx.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kiln::wasi {

DirStream::~DirStream() {
  if (dir != nullptr) closedir(static_cast<DIR*>(dir));
}

Filetype HostFiletype(int host_fd) {
  struct stat st;
  if (fstat(host_fd, &st) != 0) return Filetype::kUnknown;
  switch (st.st_mode & S_IFMT) {
    case S_IFBLK: return Filetype::kBlockDevice;
    case S_IFCHR: return Filetype::kCharacterDevice;
    case S_IFDIR: return Filetype::kDirectory;
    case S_IFREG: return Filetype::kRegularFile;
    case S_IFLNK: return Filetype::kSymbolicLink;
    case S_IFSOCK: {
      int type = 0;
      socklen_t len = sizeof(type);
      if (getsockopt(host_fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
          type == SOCK_DGRAM) {
        return Filetype::kSocketDgram;
      }
      return Filetype::kSocketStream;
    }
    default: return Filetype::kUnknown;
  }
}

namespace {
// A table entry whose host fd is closed (if owned) when the last reference
// goes: the table's, or a call's still running on another thread.
FdRef MakeRef(FdEntry entry) {
  return FdRef(new FdEntry(std::move(entry)), [](FdEntry* e) {
    e->dir_stream.reset();
    if (e->owned && e->host_fd >= 0) close(e->host_fd);
    delete e;
  });
}
}  // namespace

WasiCtx::~WasiCtx() = default;

void WasiCtx::InheritStdio() {
  for (uint32_t i = 0; i < 3; ++i) {
    (void)SetStdio(i, static_cast<int>(i), /*owned=*/false);
  }
}

absl::Status WasiCtx::SetStdio(uint32_t guest_fd, int host_fd, bool owned) {
  if (guest_fd > 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("WasiCtx::SetStdio: fd ", guest_fd, " is not 0, 1 or 2"));
  }
  FdEntry e;
  e.host_fd = host_fd;
  e.owned = owned;
  e.filetype = HostFiletype(host_fd);
  e.base = isatty(host_fd) ? rights::kTtyBase : rights::kRegularFileBase;
  if (e.filetype != Filetype::kRegularFile && !isatty(host_fd)) {
    // Pipes and sockets cannot seek either.
    struct stat st;
    if (fstat(host_fd, &st) == 0 && !S_ISCHR(st.st_mode)) {
      e.base = e.base & ~(rights::kFdSeek | rights::kFdTell);
    }
  }
  e.inheriting = 0;
  PutStdio(guest_fd, MakeRef(std::move(e)));  // the old entry goes here
  return absl::OkStatus();
}

FdRef WasiCtx::PutStdio(uint32_t guest_fd, FdRef entry) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fds_.size() < 3) fds_.resize(3);
  fds_[guest_fd].swap(entry);
  return entry;
}

absl::Status WasiCtx::PreopenDir(const std::string& host_path,
                                 const std::string& guest_path) {
  int fd = open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("cannot open directory '",
                                            host_path, "': ",
                                            std::strerror(errno)));
  }
  FdEntry e;
  e.host_fd = fd;
  e.owned = true;
  e.filetype = Filetype::kDirectory;
  e.base = rights::kDirectoryBase;
  e.inheriting = rights::kDirectoryInheriting;
  e.preopen_name = guest_path;
  uint32_t guest_fd;
  if (Insert(std::move(e), &guest_fd, 3) != Errno::kSuccess) {
    return absl::ResourceExhaustedError("WasiCtx::PreopenDir: fd table full");
  }
  return absl::OkStatus();
}

FdRef WasiCtx::Get(uint32_t fd) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd >= fds_.size()) return nullptr;
  return fds_[fd];
}

Errno WasiCtx::Insert(FdEntry entry, uint32_t* fd, uint32_t min_fd) {
  // Made before the lock; released after it when the table is full.
  FdRef ref = MakeRef(std::move(entry));
  std::lock_guard<std::mutex> lock(mu_);
  if (fds_.size() < min_fd) fds_.resize(min_fd);
  for (uint32_t i = min_fd; i < fds_.size(); ++i) {
    if (fds_[i] == nullptr) {
      fds_[i] = std::move(ref);
      *fd = i;
      return Errno::kSuccess;
    }
  }
  if (fds_.size() >= kMaxFds) return Errno::kNfile;
  fds_.push_back(std::move(ref));
  *fd = static_cast<uint32_t>(fds_.size() - 1);
  return Errno::kSuccess;
}

Errno WasiCtx::Close(uint32_t fd) {
  FdRef old;  // released after the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (fd >= fds_.size() || fds_[fd] == nullptr) return Errno::kBadf;
  old = std::move(fds_[fd]);
  return Errno::kSuccess;
}

Errno WasiCtx::Renumber(uint32_t from, uint32_t to) {
  FdRef old;  // released after the lock
  std::lock_guard<std::mutex> lock(mu_);
  if (from >= fds_.size() || to >= fds_.size() || fds_[from] == nullptr ||
      fds_[to] == nullptr) {
    return Errno::kBadf;
  }
  if (from == to) return Errno::kSuccess;
  old = std::move(fds_[to]);
  fds_[to] = std::move(fds_[from]);
  return Errno::kSuccess;
}

}  // namespace kiln::wasi
