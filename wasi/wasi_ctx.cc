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

WasiCtx::~WasiCtx() {
  for (std::optional<FdEntry>& e : fds_) {
    if (e.has_value()) Release(*e);
  }
}

void WasiCtx::Release(FdEntry& entry) {
  entry.dir_stream.reset();
  if (entry.owned && entry.host_fd >= 0) close(entry.host_fd);
  entry.host_fd = -1;
}

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
  if (fds_.size() < 3) fds_.resize(3);
  if (fds_[guest_fd].has_value()) Release(*fds_[guest_fd]);
  FdEntry e;
  e.host_fd = host_fd;
  e.owned = owned;
  e.filetype = HostFiletype(host_fd);
  e.base = isatty(host_fd) ? rights::kTtyBase : rights::kRegularFileBase;
  if (e.filetype != Filetype::kRegularFile && !isatty(host_fd)) {
    // Pipes and sockets cannot seek either.
    struct stat st;
    if (fstat(host_fd, &st) == 0 && !S_ISCHR(st.st_mode)) {
      e.base &= ~(rights::kFdSeek | rights::kFdTell);
    }
  }
  e.inheriting = 0;
  fds_[guest_fd] = std::move(e);
  return absl::OkStatus();
}

absl::Status WasiCtx::PreopenDir(const std::string& host_path,
                                 const std::string& guest_path) {
  int fd = open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("cannot open directory '",
                                            host_path, "': ",
                                            std::strerror(errno)));
  }
  if (fds_.size() < 3) fds_.resize(3);
  FdEntry e;
  e.host_fd = fd;
  e.owned = true;
  e.filetype = Filetype::kDirectory;
  e.base = rights::kDirectoryBase;
  e.inheriting = rights::kDirectoryInheriting;
  e.preopen_name = guest_path;
  uint32_t guest_fd;
  if (Insert(std::move(e), &guest_fd, 3) != Errno::kSuccess) {
    close(fd);
    return absl::ResourceExhaustedError("WasiCtx::PreopenDir: fd table full");
  }
  return absl::OkStatus();
}

FdEntry* WasiCtx::Get(uint32_t fd) {
  if (fd >= fds_.size() || !fds_[fd].has_value()) return nullptr;
  return &*fds_[fd];
}

Errno WasiCtx::Insert(FdEntry entry, uint32_t* fd, uint32_t min_fd) {
  if (fds_.size() < min_fd) fds_.resize(min_fd);
  for (uint32_t i = min_fd; i < fds_.size(); ++i) {
    if (!fds_[i].has_value()) {
      fds_[i] = std::move(entry);
      *fd = i;
      return Errno::kSuccess;
    }
  }
  if (fds_.size() >= kMaxFds) return Errno::kNfile;
  fds_.push_back(std::move(entry));
  *fd = static_cast<uint32_t>(fds_.size() - 1);
  return Errno::kSuccess;
}

Errno WasiCtx::Close(uint32_t fd) {
  FdEntry* e = Get(fd);
  if (e == nullptr) return Errno::kBadf;
  Release(*e);
  fds_[fd].reset();
  return Errno::kSuccess;
}

Errno WasiCtx::Renumber(uint32_t from, uint32_t to) {
  FdEntry* f = Get(from);
  FdEntry* t = Get(to);
  if (f == nullptr || t == nullptr) return Errno::kBadf;
  if (from == to) return Errno::kSuccess;
  Release(*t);
  fds_[to] = std::move(fds_[from]);
  fds_[from].reset();
  return Errno::kSuccess;
}

}  // namespace kiln::wasi
