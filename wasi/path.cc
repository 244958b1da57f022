// Sandboxed path resolution (see path.h).
#include "wasi/path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <deque>
#include <string>
#include <vector>

namespace kiln::wasi {

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) close(fd_);
}

namespace {

std::atomic<ResolveMode> g_mode{ResolveMode::kAuto};

// Whether openat2 works here: probed once on "." (a kernel before 5.6
// says ENOSYS; some container seccomp profiles say EPERM).
bool Openat2Works() {
  static const bool works = [] {
    open_how how{};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
    if (fd < 0) return false;
    close(static_cast<int>(fd));
    return true;
  }();
  return works;
}

constexpr int kMaxSymlinks = 40;

// Host errno of a failed resolution -> WASI errno; EXDEV is what openat2
// reports for an escape.
Errno ResolveErrno(int e) {
  if (e == EXDEV) return Errno::kNotcapable;
  return FromHostErrno(e);
}

bool IsAbsolute(std::string_view path) {
  return !path.empty() && path[0] == '/';
}

// Splits on '/', dropping empty and "." components.
void SplitComponents(std::string_view path, std::deque<std::string>* out,
                     bool at_front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") parts.emplace_back(c);
    i = j + 1;
  }
  if (at_front) {
    out->insert(out->begin(), parts.begin(), parts.end());
  } else {
    out->insert(out->end(), parts.begin(), parts.end());
  }
}

// Reads the target of the symlink `name` in `dir`.
bool ReadLink(int dir, const std::string& name, std::string* target) {
  std::string buf(256, '\0');
  while (true) {
    ssize_t n = readlinkat(dir, name.c_str(), buf.data(), buf.size());
    if (n < 0) return false;
    if (static_cast<size_t>(n) < buf.size()) {
      buf.resize(n);
      *target = std::move(buf);
      return true;
    }
    if (buf.size() > (1u << 16)) {
      errno = ENAMETOOLONG;
      return false;
    }
    buf.resize(buf.size() * 2);
  }
}

bool IsSymlinkAt(int dir, const std::string& name) {
  struct stat st;
  return fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISLNK(st.st_mode);
}

// The component walk: each intermediate directory is opened O_PATH |
// O_NOFOLLOW; a symlink is read and its target spliced into the remaining
// components (an absolute target is an escape); ".." pops the stack of
// opened directories and may never pop `dirfd` itself.
Errno WalkBeneath(int dirfd, std::string_view path, int flags, mode_t mode,
                  bool follow, UniqueFd* out) {
  std::deque<std::string> rest;
  bool trailing_slash = !path.empty() && path.back() == '/';
  SplitComponents(path, &rest, false);
  std::vector<UniqueFd> stack;
  auto cur = [&]() { return stack.empty() ? dirfd : stack.back().get(); };
  int links = 0;
  while (true) {
    if (rest.empty()) {
      // The path names the current directory ("", ".", "a/..").
      int f = flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW);
      if ((flags & O_CREAT) && (flags & O_EXCL)) return Errno::kExist;
      int fd = openat(cur(), ".", f, mode);
      if (fd < 0) return LastHostErrno();
      *out = UniqueFd(fd);
      return Errno::kSuccess;
    }
    std::string c = std::move(rest.front());
    rest.pop_front();
    if (c == "..") {
      if (stack.empty()) return Errno::kNotcapable;
      stack.pop_back();
      continue;
    }
    const bool last = rest.empty();
    if (!last) {
      int fd = openat(cur(), c.c_str(),
                      O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        stack.emplace_back(fd);
        continue;
      }
      int e = errno;
      if ((e == ENOTDIR || e == ELOOP) && IsSymlinkAt(cur(), c)) {
        if (++links > kMaxSymlinks) return Errno::kLoop;
        std::string target;
        if (!ReadLink(cur(), c, &target)) return LastHostErrno();
        if (IsAbsolute(target)) return Errno::kNotcapable;
        SplitComponents(target, &rest, true);
        continue;
      }
      return FromHostErrno(e);
    }
    // The last component.
    if (follow && IsSymlinkAt(cur(), c)) {
      if ((flags & O_CREAT) && (flags & O_EXCL)) return Errno::kExist;
      if (++links > kMaxSymlinks) return Errno::kLoop;
      std::string target;
      if (!ReadLink(cur(), c, &target)) return LastHostErrno();
      if (IsAbsolute(target)) return Errno::kNotcapable;
      SplitComponents(target, &rest, true);
      if (!target.empty() && target.back() == '/') trailing_slash = true;
      continue;
    }
    int f = flags | O_NOFOLLOW;
    if (trailing_slash) f |= O_DIRECTORY;
    int fd = openat(cur(), c.c_str(), f, mode);
    if (fd < 0) return LastHostErrno();
    *out = UniqueFd(fd);
    return Errno::kSuccess;
  }
}

}  // namespace

void SetResolveMode(ResolveMode mode) { g_mode = mode; }

Errno OpenBeneath(int dirfd, std::string_view path, int flags, mode_t mode,
                  bool follow, UniqueFd* out) {
  if (path.find('\0') != std::string_view::npos) return Errno::kIlseq;
  if (IsAbsolute(path)) return Errno::kNotcapable;
  if (path.empty()) return Errno::kNoent;
  flags |= O_CLOEXEC;
  if (!follow) flags |= O_NOFOLLOW;
  if (g_mode.load() == ResolveMode::kAuto && Openat2Works()) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    std::string p(path);
    long fd;
    do {
      fd = syscall(SYS_openat2, dirfd, p.c_str(), &how, sizeof(how));
    } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
    if (fd >= 0) {
      *out = UniqueFd(static_cast<int>(fd));
      return Errno::kSuccess;
    }
    return ResolveErrno(errno);
  }
  return WalkBeneath(dirfd, path, flags, mode, follow, out);
}

Errno OpenParent(int dirfd, std::string_view path, ParentAndName* out) {
  if (path.find('\0') != std::string_view::npos) return Errno::kIlseq;
  if (IsAbsolute(path)) return Errno::kNotcapable;
  if (path.empty()) return Errno::kNoent;
  size_t end = path.size();
  while (end > 0 && path[end - 1] == '/') --end;
  const bool trailing = end < path.size();
  std::string_view body = path.substr(0, end);
  size_t slash = body.rfind('/');
  std::string_view dir =
      slash == std::string_view::npos ? std::string_view(".") : body.substr(0, slash + 1);
  std::string_view name =
      slash == std::string_view::npos ? body : body.substr(slash + 1);
  out->special = name == "." || name == "..";
  out->name = std::string(name);
  if (trailing) out->name += '/';
  return OpenBeneath(dirfd, dir, O_PATH | O_DIRECTORY, 0, true, &out->parent);
}

}  // namespace kiln::wasi
