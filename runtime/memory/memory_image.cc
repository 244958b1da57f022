#include "runtime/memory/memory_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {
namespace {

constexpr uint64_t kPage = 4096;

absl::Status Errno(const char* what) {
  return absl::InternalError(
      absl::StrCat("MemoryImage: ", what, " failed: ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MemoryImage>> MemoryImage::Create(
    absl::Span<const Segment> segments, uint64_t memory_size_bytes) {
  uint64_t lo = UINT64_MAX;
  uint64_t hi = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.offset > memory_size_bytes ||
        s.bytes.size() > memory_size_bytes - s.offset) {
      return absl::OutOfRangeError(absl::StrCat(
          "MemoryImage::Create: segment ", i, " [", s.offset, ", +",
          s.bytes.size(), ") ends past the memory's ", memory_size_bytes,
          " bytes"));
    }
    if (s.bytes.empty()) continue;
    lo = std::min(lo, s.offset);
    hi = std::max(hi, s.offset + s.bytes.size());
  }
  if (hi == 0) return std::unique_ptr<MemoryImage>();
  const uint64_t offset = lo / kPage * kPage;
  const uint64_t length = (hi + kPage - 1) / kPage * kPage - offset;

  // Assemble the image in memory, then write it to a sealed memfd.
  std::vector<uint8_t> image(length, 0);
  for (const Segment& s : segments) {
    if (!s.bytes.empty()) {
      std::memcpy(image.data() + (s.offset - offset), s.bytes.data(),
                  s.bytes.size());
    }
  }
  const int fd = memfd_create("kiln-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Errno("memfd_create");
  std::unique_ptr<MemoryImage> result(new MemoryImage(fd, offset, length));
  if (ftruncate(fd, static_cast<off_t>(length)) != 0) return Errno("ftruncate");
  uint64_t written = 0;
  while (written < length) {
    const ssize_t n = pwrite(fd, image.data() + written, length - written,
                             static_cast<off_t>(written));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("pwrite");
    }
    written += static_cast<uint64_t>(n);
  }
  if (fcntl(fd, F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return Errno("sealing the memfd");
  }
  return result;
}

MemoryImage::~MemoryImage() {
  if (fd_ >= 0) close(fd_);
}

absl::Status MemoryImage::MapInto(LinearMemory& memory) const {
  if (memory.size_bytes() < offset_ + length_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "MemoryImage::MapInto: memory of ", memory.size_bytes(),
        " bytes is smaller than the image end ", offset_ + length_));
  }
  void* at = memory.base() + offset_;
  void* p = mmap(at, length_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
                 fd_, 0);
  if (p == MAP_FAILED) return Errno("mmap");
  return absl::OkStatus();
}

}  // namespace kiln::runtime
