// Sandboxed path resolution: a guest path is always resolved relative to a
// directory fd and can never leave it, whatever `..` components, absolute
// paths or symlinks (absolute or relative) it contains. Linux openat2 with
// RESOLVE_BENEATH does it in the kernel; where openat2 is missing (ENOSYS)
// a component walk with O_NOFOLLOW that expands symlinks itself gives the
// same answers. Which one runs is decided once per process by probing
// openat2 (ENOSYS before Linux 5.6, EPERM under some seccomp profiles).
#ifndef KILN_WASI_PATH_H_
#define KILN_WASI_PATH_H_

#include <sys/types.h>

#include <string>
#include <string_view>

#include "wasi/errno.h"

namespace kiln::wasi {

// An owned host file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

enum class ResolveMode {
  kAuto,       // openat2 when it works here, else the walk
  kWalkOnly,   // always the component walk (for tests)
};
// Process-wide; tests switch it.
void SetResolveMode(ResolveMode mode);

// Opens `path` beneath `dirfd` with open(2) `flags` (O_CREAT uses `mode`).
// `follow` says whether a symlink in the last component is followed (else
// O_NOFOLLOW semantics: ELOOP, or the link itself with O_PATH). An
// absolute path or any escape is kNotcapable. Returns the fd or an errno.
Errno OpenBeneath(int dirfd, std::string_view path, int flags, mode_t mode,
                  bool follow, UniqueFd* out);

// A path split into the directory that holds its last component (opened
// O_PATH beneath `dirfd`) and that component's name (keeping one trailing
// '/' when the path had one). `special` is true when the last component
// is "." or ".." (no parent/name form exists: callers resolve the whole
// path instead).
struct ParentAndName {
  UniqueFd parent;
  std::string name;
  bool special = false;
};
Errno OpenParent(int dirfd, std::string_view path, ParentAndName* out);

}  // namespace kiln::wasi

#endif  // KILN_WASI_PATH_H_
