// libFuzzer target: random sequences of wasi_snapshot_preview1 calls with
// random arguments against a temporary preopened directory, checking that
// the guest never reaches a file outside it.
//
// The sandbox (created once per process, in $KILN_WASI_FUZZ_DIR, else
// /dev/shm, else $TMPDIR):
//
//   kiln-wasi-fuzz-XXXXXX/           canary, secret-TOKEN, level1/
//     level1/                        canary, secret-TOKEN, dir/file, box/
//       box/                         the preopen "box" (fd 3), reset per input:
//                                    files, dirs, symlinks pointing out
//                                    (relative, absolute, through chains)
//
// Each input is a program: write bytes into guest memory (paths such as
// "d/../../canary"), or call a preview1 function with arguments drawn from
// edge cases (fds, the dictionary of nasty paths, bad and near-the-end
// pointers, huge lengths, rights masks). After every call:
//   * open: every descriptor the guest holds refers to the box or a file
//     or directory in it (its host path, /proc/self/fd);
//   * read: guest memory must not contain TOKEN (a random per-process string
//     in the canaries' contents and in the secret-TOKEN file names, so a
//     read or directory listing of anything outside shows up; the
//     program's own writes to memory are kept free of it), and a filestat
//     result must not carry a canary's inode number;
// after every input:
//   * write/create: everything outside box/ (names, types, sizes, mtimes,
//     contents, symlink targets) is as before, and no name the guest can
//     spell appeared next to the sandbox;
// and nothing crashes (AddressSanitizer in the `fuzz` build).
//
// Calls that can block (poll_oneoff) are not made; stdio is not given to
// the guest. RLIMIT_FSIZE bounds what fd_allocate / fd_pwrite can
// allocate inside the box.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "wasi/guest_memory.h"
#include "wasi/path.h"
#include "wasi/preview1.h"
#include "wasi/types.h"
#include "wasi/wasi_ctx.h"

namespace {

namespace wasi = kiln::wasi;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "wasi_fuzzer: %s\n", what.c_str());
  std::abort();
}

void WriteFile(const std::string& path, const std::string& content) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Fail("cannot create " + path);
  if (write(fd, content.data(), content.size()) !=
      static_cast<ssize_t>(content.size())) {
    Fail("cannot write " + path);
  }
  close(fd);
}

// What the guest must not change: one entry per path outside the box.
struct Node {
  mode_t mode = 0;
  off_t size = 0;
  int64_t mtime_ns = 0;
  std::string content;  // file contents or symlink target
  bool operator==(const Node& o) const {
    return mode == o.mode && size == o.size && mtime_ns == o.mtime_ns &&
           content == o.content;
  }
};

void Snapshot(const std::string& dir, const std::string& skip,
              std::map<std::string, Node>* out, std::set<uint64_t>* inodes) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (path == skip) continue;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    Node n;
    n.mode = st.st_mode;
    n.size = st.st_size;
    n.mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    if (inodes != nullptr) inodes->insert(st.st_ino);
    if (S_ISLNK(st.st_mode)) {
      char buf[4096];
      const ssize_t k = readlink(path.c_str(), buf, sizeof(buf));
      if (k > 0) n.content.assign(buf, k);
    } else if (S_ISREG(st.st_mode)) {
      const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW);
      if (fd >= 0) {
        char buf[4096];
        const ssize_t k = read(fd, buf, sizeof(buf));
        if (k > 0) n.content.assign(buf, k);
        close(fd);
      }
    }
    (*out)[path] = n;
    if (S_ISDIR(st.st_mode)) Snapshot(path, skip, out, inodes);
  }
}

// Removes everything in `dir` (never following symlinks).
void Clear(int dirfd) {
  // dup shares the file offset with `dirfd`: start from the beginning.
  DIR* d = fdopendir(dup(dirfd));
  if (d == nullptr) return;
  rewinddir(d);
  std::vector<std::string> names;
  while (struct dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  for (const std::string& name : names) {
    if (unlinkat(dirfd, name.c_str(), 0) == 0) continue;
    const int sub =
        openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (sub >= 0) {
      fchmod(sub, 0755);
      Clear(sub);
      close(sub);
    }
    unlinkat(dirfd, name.c_str(), AT_REMOVEDIR);
  }
}

class Sandbox {
 public:
  Sandbox() {
    std::random_device rd;
    static const char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 24; ++i) token_ += kHex[rd() % 16];
    // tmpfs when there is one: fd_sync / fd_datasync on a disk take tens
    // of milliseconds each.
    const char* dir = std::getenv("KILN_WASI_FUZZ_DIR");
    if (dir == nullptr && access("/dev/shm", W_OK) == 0) dir = "/dev/shm";
    if (dir == nullptr) dir = std::getenv("TMPDIR");
    parent_ = dir != nullptr && *dir != '\0' ? dir : "/tmp";
    top_ = parent_ + "/kiln-wasi-fuzz-XXXXXX";
    if (mkdtemp(top_.data()) == nullptr) Fail("mkdtemp in " + parent_);
    level1_ = top_ + "/level1";
    box_ = level1_ + "/box";
    const std::string secret = "KILN-CANARY-" + token_ + "\n";
    mkdir(level1_.c_str(), 0755);
    mkdir(box_.c_str(), 0755);
    mkdir((level1_ + "/dir").c_str(), 0755);
    WriteFile(top_ + "/canary", secret);
    WriteFile(top_ + "/secret-" + token_, secret);
    WriteFile(level1_ + "/canary", secret);
    WriteFile(level1_ + "/secret-" + token_, secret);
    WriteFile(level1_ + "/dir/file", secret);
    if (symlink("canary", (level1_ + "/link").c_str()) != 0) {
      Fail("symlink " + level1_ + "/link");
    }
    // /proc/self/fd names the canonical path.
    char real[PATH_MAX];
    if (realpath(box_.c_str(), real) == nullptr) Fail("realpath " + box_);
    box_real_ = real;
    box_fd_ = open(box_.c_str(), O_RDONLY | O_DIRECTORY);
    if (box_fd_ < 0) Fail("cannot open " + box_);

    // Paths the guest is given (written into guest memory at offset 0).
    // The first kInsideNames stay inside the box.
    dictionary_ = {
        "a", "b", "d", "d/x", "in", "new", "d/new", ".", "d/", "d/..",
        "a/.", "dangling", "loop",
        // Outside, or trying to be.
        "up", "updir", "upup", "abs", "chain1", "d/back", "..", "../canary",
        "../../canary", "../box/a", "updir/canary", "updir/box/a",
        "updir/dir/file", "d/back/canary", "d/back/dir", "chain1/x",
        "d/../../canary", "x/../../canary", "./../level1/canary", "../new",
        "updir/new", "d/back/new", "../../new", "../../../kiln-wasi-fuzz-new",
        "/", top_, top_ + "/canary", level1_ + "/dir/file", box_ + "/a",
        "/etc/passwd", "/tmp/new", "a/", "d/../..", "updir/..", "abs/../x",
        "in/../../canary", "////", "", std::string("a\0b", 3),
        std::string(300, 'n'), "d/x/../../../level1/canary",
    };
    // Names the guest could create next to the sandbox by
    // escaping: none of them may appear.
    for (const char* n : {"new", "x", "canary"}) {
      const std::string p = parent_ + "/" + n;
      struct stat st;
      if (lstat(p.c_str(), &st) != 0) parent_absent_.push_back(p);
    }
    parent_absent_.push_back(parent_ + "/kiln-wasi-fuzz-new");
    ResetBox();
    Snapshot(top_, box_, &outside_, &outside_inodes_);
  }

  ~Sandbox() {
    const int fd = open(top_.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
      Clear(fd);
      close(fd);
    }
    rmdir(top_.c_str());
  }

  // The box's fixture: files, a directory and symlinks pointing inside,
  // outside (relative, absolute, through other links), to themselves.
  void ResetBox() {
    fchmod(box_fd_, 0755);
    Clear(box_fd_);
    WriteFile(box_ + "/a", "content a\n");
    WriteFile(box_ + "/b", "");
    mkdir((box_ + "/d").c_str(), 0755);
    WriteFile(box_ + "/d/x", "x");
    const std::pair<const char*, std::string> links[] = {
        {"in", "a"},
        {"up", "../canary"},
        {"updir", ".."},
        {"upup", "../../canary"},
        {"abs", top_ + "/canary"},
        {"loop", "loop"},
        {"chain1", "chain2"},
        {"chain2", "d/../../canary"},
        {"d/back", "../.."},
        {"dangling", "nonexistent"},
    };
    for (const auto& [name, target] : links) {
      if (symlink(target.c_str(), (box_ + "/" + name).c_str()) != 0) {
        Fail("cannot create symlink " + box_ + "/" + name);
      }
    }
  }

  void CheckOutside() const {
    std::map<std::string, Node> now;
    Snapshot(top_, box_, &now, nullptr);
    for (const auto& [path, node] : outside_) {
      auto it = now.find(path);
      if (it == now.end()) Fail("escape: " + path + " was removed");
      if (!(it->second == node)) Fail("escape: " + path + " was changed");
    }
    for (const auto& [path, node] : now) {
      if (!outside_.count(path)) Fail("escape: " + path + " was created");
    }
    for (const std::string& p : parent_absent_) {
      struct stat st;
      if (lstat(p.c_str(), &st) == 0) Fail("escape: " + p + " was created");
    }
  }

  const std::string& token() const { return token_; }
  const std::string& box() const { return box_; }
  const std::string& box_real() const { return box_real_; }
  const std::string& level1() const { return level1_; }
  const std::vector<std::string>& dictionary() const { return dictionary_; }
  bool IsOutsideInode(uint64_t ino) const {
    return outside_inodes_.count(ino) != 0;
  }

 private:
  std::string token_, parent_, top_, level1_, box_, box_real_;
  int box_fd_ = -1;
  std::vector<std::string> dictionary_;
  std::vector<std::string> parent_absent_;
  std::map<std::string, Node> outside_;
  std::set<uint64_t> outside_inodes_;
};

// Calls made and calls that succeeded, per function (printed at exit with
// KILN_WASI_FUZZ_STATS=1: a fuzzer whose calls all fail checks nothing).
std::map<std::string, std::pair<uint64_t, uint64_t>> g_stats;

void PrintStats() {
  if (std::getenv("KILN_WASI_FUZZ_STATS") == nullptr) return;
  uint64_t calls = 0, ok = 0;
  std::string line;
  for (const auto& [name, counts] : g_stats) {
    calls += counts.first;
    ok += counts.second;
    line += " " + name + "=" + std::to_string(counts.second) + "/" +
            std::to_string(counts.first);
  }
  std::fprintf(stderr, "wasi_fuzzer: %llu calls, %llu succeeded (ok/calls:%s)\n",
               static_cast<unsigned long long>(calls),
               static_cast<unsigned long long>(ok), line.c_str());
}

// Reads the program from the fuzzer's bytes; zeros when they run out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint64_t Bytes(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= uint64_t{Byte()} << (8 * i);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

constexpr uint32_t kMemSize = 65536;
constexpr uint32_t kInsideNames = 13;  // Sandbox::dictionary_ starts with them
constexpr uint32_t kIovecs = 2048;      // {4096, 100}, {8192, 7}, {60000, 6000}
constexpr uint32_t kScratch = 16384;    // where programs write their bytes
constexpr uint32_t kResults = 1024;     // result pointers

struct Placed {
  uint32_t offset, length;
};

// Which arguments are (dirfd, path, path_len) or (-1: no fd, path, len).
struct PathArgs {
  std::string_view name;
  int fd1, path1, fd2, path2;
};
constexpr PathArgs kPathArgs[] = {
    {"path_open", 0, 2, -2, -2},
    {"path_create_directory", 0, 1, -2, -2},
    {"path_filestat_get", 0, 2, -2, -2},
    {"path_filestat_set_times", 0, 2, -2, -2},
    {"path_readlink", 0, 1, -2, -2},
    {"path_remove_directory", 0, 1, -2, -2},
    {"path_unlink_file", 0, 1, -2, -2},
    {"path_rename", 0, 1, 3, 4},
    {"path_link", 0, 2, 4, 5},
    {"path_symlink", -1, 0, 2, 3},
};

class Program {
 public:
  Program(const Sandbox& box, Input& in) : box_(box), in_(in) {
    memory_.assign(kMemSize, 0);
    uint32_t at = 0;
    for (const std::string& p : box.dictionary()) {
      std::memcpy(memory_.data() + at, p.data(), p.size());
      placed_.push_back({at, static_cast<uint32_t>(p.size())});
      at += static_cast<uint32_t>(p.size()) + 1;
    }
    if (at > kIovecs) Fail("dictionary too long");
    const uint32_t iovs[6] = {4096, 100, 8192, 7, 60000, 6000};
    std::memcpy(memory_.data() + kIovecs, iovs, sizeof(iovs));
  }

  void Run() {
    const auto fns = kiln::wasi::preview1::Functions();
    for (int steps = 0; steps < 64 && !in_.empty(); ++steps) {
      const uint8_t op = in_.Byte();
      if (op % 8 == 0) {
        WriteScratch();
        continue;
      }
      const auto& f = fns[in_.Byte() % fns.size()];
      if (f.name == "poll_oneoff") continue;  // a clock subscription may sleep
      Call(f);
    }
  }

 private:
  // Up to 255 bytes of the input into the scratch area (hand-made paths,
  // iovecs, subscriptions).
  void WriteScratch() {
    const uint32_t at = kScratch + in_.Byte() * 16;
    const uint32_t n = in_.Byte();
    for (uint32_t i = 0; i < n && at + i < kMemSize; ++i) {
      memory_[at + i] = in_.Byte();
    }
    // The program must not write TOKEN itself: libFuzzer learns it from
    // the comparisons below (its memcmp hooks) and did, a false "escape".
    for (int64_t k = FindToken(); k >= 0; k = FindToken()) {
      memory_[k] ^= 0x80;  // no longer a hex digit
    }
  }

  // Where TOKEN is in guest memory, or -1.
  int64_t FindToken() const {
    const std::string& t = box_.token();
    const void* p = memmem(memory_.data(), memory_.size(), t.data(), t.size());
    return p == nullptr ? -1
                        : static_cast<const uint8_t*>(p) - memory_.data();
  }

  uint64_t Arg(char type) {
    const uint8_t sel = in_.Byte();
    switch (sel % 12) {
      case 0: return sel >> 4;                         // small: fds, flags
      case 1: return 3;                                // the preopen
      case 2: return kResults + (sel >> 4) * 8;        // result pointer
      case 3: return kMemSize - (sel >> 4);            // near the end
      case 4: return type == 'I' ? ~uint64_t{0} : 0xffffffffu;
      case 5: return type == 'I' ? uint64_t{1} << (32 + (sel >> 4))
                                 : 0x80000000u + (sel >> 4);  // huge
      case 6: return kIovecs;
      case 7:
        return type == 'I' ? in_.Bytes(1) * 0x0101010101010101ull &
                                 wasi::rights::kDirectoryInheriting
                           : in_.Bytes(1);
      case 8: return placed_[in_.Byte() % placed_.size()].offset;
      case 9: return kScratch + in_.Byte() * 16;
      case 10: return type == 'I' ? in_.Bytes(8) : in_.Bytes(4);
      default: return in_.Byte() % 32;                 // small lengths
    }
  }

  void Call(const kiln::wasi::preview1::Function& f) {
    uint64_t args[16] = {};
    for (size_t i = 0; i < f.params.size() && i < 16; ++i) {
      args[i] = Arg(f.params[i]);
    }
    // Mostly give path calls a directory fd and a whole dictionary path
    // (or a scratch path of a chosen length).
    for (const PathArgs& pa : kPathArgs) {
      if (pa.name != f.name || in_.Byte() % 4 == 0) continue;
      for (auto [fd, path] : {std::pair{pa.fd1, pa.path1},
                              std::pair{pa.fd2, pa.path2}}) {
        if (path < 0) continue;
        if (fd >= 0) args[fd] = 3 + in_.Byte() % 3 / 2;  // mostly 3
        const uint8_t pick = in_.Byte();
        if (pick < 32) {
          args[path] = kScratch + (pick % 16) * 16;
          args[path + 1] = in_.Byte();
        } else {
          // Half the time a name inside the box, so that files get
          // opened and the fd calls have something to work on.
          const Placed& p = placed_[pick < 144 ? pick % kInsideNames
                                                : pick % placed_.size()];
          args[path] = p.offset;
          args[path + 1] = p.length;
        }
      }
      if (f.name == "path_open") {
        args[1] = in_.Byte() % 2;                                 // dirflags
        args[4] = in_.Byte() % 2 ? 0 : in_.Byte() % 16;          // oflags
        // Rights: mostly all a directory passes on (more is refused).
        args[5] = in_.Byte() % 4 == 0 ? in_.Bytes(8)
                                      : wasi::rights::kDirectoryInheriting;
        args[6] = in_.Byte() % 4 == 0 ? in_.Bytes(8)
                                      : wasi::rights::kDirectoryInheriting;
        args[7] = in_.Byte() % 4 == 0 ? in_.Byte() % 32 : 0;     // fdflags
        args[8] = kResults;
      }
    }
    if (f.name.substr(0, 3) == "fd_" && in_.Byte() % 2) {
      // The preopens (3, 4) and what path_open made (0, 1, 2, 5, ...: no
      // stdio, so new descriptors start at 0), most often the last one.
      const uint8_t pick = in_.Byte();
      args[0] = pick < 128 && last_opened_ >= 0 ? last_opened_ : pick % 8;
      // Valid iovecs and result pointers.
      if (f.name == "fd_read" || f.name == "fd_write") {
        args[1] = kIovecs;
        args[2] = 1 + in_.Byte() % 3;
        args[3] = kResults;
      } else if (f.name == "fd_pread" || f.name == "fd_pwrite") {
        args[1] = kIovecs;
        args[2] = 1 + in_.Byte() % 3;
        args[3] = in_.Byte() % 2 ? in_.Byte() : in_.Bytes(8);
        args[4] = kResults;
      } else if (f.name == "fd_seek") {
        args[1] = in_.Byte() % 2 ? in_.Byte() : in_.Bytes(8);
        args[2] = in_.Byte() % 4;
        args[3] = kResults;
      }
    }
    wasi::GuestMemory mem(memory_.data(), memory_.size());
    const uint32_t result = f.call(ctx_, mem, args);
    static const bool trace = std::getenv("KILN_WASI_FUZZ_TRACE") != nullptr;
    if (trace) {
      std::string line(f.name);
      for (size_t i = 0; i < f.params.size(); ++i) {
        line += " " + std::to_string(args[i]);
      }
      std::fprintf(stderr, "%s -> %u\n", line.c_str(), result);
    }
    if (result == 0 && f.name == "path_open") {
      uint32_t fd;
      if (mem.Load(args[8], &fd)) last_opened_ = fd;
    }
    auto& counts = g_stats[std::string(f.name)];
    ++counts.first;
    if (result == 0) ++counts.second;
    CheckMemory(f.name);
    CheckDescriptors(f.name);
    if (result == 0 && (f.name == "fd_filestat_get" ||
                        f.name == "path_filestat_get")) {
      const uint64_t out = f.name == "fd_filestat_get" ? args[1] : args[4];
      uint64_t ino;
      if (mem.Load(out + 8, &ino) && box_.IsOutsideInode(ino)) {
        Fail(std::string(f.name) + " returned the inode of a file outside "
             "the preopen");
      }
    }
  }

  void CheckMemory(std::string_view call) {
    if (FindToken() >= 0) {
      Fail("escape: " + std::string(call) +
           " put data from outside the preopen into guest memory");
    }
  }

  // Every descriptor the guest holds refers to the box or something in it
  // (by its host path, /proc/self/fd: deleted files keep their old path
  // with " (deleted)" after it).
  void CheckDescriptors(std::string_view call) {
    const std::string& box = box_.box_real();
    for (uint32_t fd = 0; fd < 256; ++fd) {
      const wasi::FdRef e = ctx_.Get(fd);
      if (e == nullptr || e->host_fd < 0) continue;
      char target[4096];
      const std::string link = "/proc/self/fd/" + std::to_string(e->host_fd);
      const ssize_t k = readlink(link.c_str(), target, sizeof(target) - 1);
      if (k < 0) Fail("cannot read " + link);
      const std::string_view path(target, static_cast<size_t>(k));
      if (path == box || (path.size() > box.size() &&
                          path.substr(0, box.size()) == box &&
                          path[box.size()] == '/')) {
        continue;
      }
      Fail("escape: after " + std::string(call) + " guest fd " +
           std::to_string(fd) + " refers to " + std::string(path) +
           ", outside the preopen " + box);
    }
  }

  const Sandbox& box_;
  Input& in_;
  std::vector<uint8_t> memory_;
  std::vector<Placed> placed_;
  int64_t last_opened_ = -1;  // the descriptor the last path_open made

 public:
  wasi::WasiCtx ctx_;
};

Sandbox* g_sandbox = nullptr;

Sandbox& TheSandbox() {
  if (g_sandbox == nullptr) {
    // fd_allocate / fd_pwrite at huge offsets: EFBIG, not a full disk.
    struct rlimit limit = {1 << 20, 1 << 20};
    setrlimit(RLIMIT_FSIZE, &limit);
    signal(SIGXFSZ, SIG_IGN);
    g_sandbox = new Sandbox();
    std::atexit([] {
      PrintStats();
      delete g_sandbox;
    });
  }
  return *g_sandbox;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Sandbox& box = TheSandbox();
  Input in(data, size);
  // Both ways of resolving paths beneath the preopen: openat2 and the
  // component walk (the fallback where openat2 is missing).
  wasi::SetResolveMode(in.Byte() % 2 ? wasi::ResolveMode::kWalkOnly
                                     : wasi::ResolveMode::kAuto);
  box.ResetBox();
  {
    Program program(box, in);
    // KILN_WASI_FUZZ_SELFTEST=1 preopens box/'s parent instead, so that
    // the checks must report an "escape" within seconds.
    static const bool self_test =
        std::getenv("KILN_WASI_FUZZ_SELFTEST") != nullptr;
    if (!program.ctx_.PreopenDir(self_test ? box.level1() : box.box(), "box")
             .ok()) {
      Fail("cannot preopen " + box.box());
    }
    // A second preopen of a subdirectory: escaping it into box/ is an
    // escape too, but invisible to the checks; it is here so that fd
    // juggling (renumber, close) has more than one directory to work on.
    if (!program.ctx_.PreopenDir(box.box() + "/d", "d").ok()) {
      Fail("cannot preopen " + box.box() + "/d");
    }
    program.Run();
  }
  box.CheckOutside();
  return 0;
}
