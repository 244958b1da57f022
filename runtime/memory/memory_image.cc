#include "runtime/memory/memory_image.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {
namespace {

constexpr uint64_t kPage = 4096;

absl::Status Errno(const char* what) {
  return absl::InternalError(
      absl::StrCat("MemoryImage: ", what, " failed: ", std::strerror(errno)));
}

absl::Status PwriteAll(int fd, const uint8_t* data, uint64_t size,
                       uint64_t at) {
  uint64_t written = 0;
  while (written < size) {
    const ssize_t n = pwrite(fd, data + written, size - written,
                             static_cast<off_t>(at + written));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("pwrite");
    }
    written += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<MemoryImage::Extent> MemoryImage::Layout(
    absl::Span<const Segment> segments, uint64_t memory_size_bytes) {
  uint64_t lo = UINT64_MAX;
  uint64_t hi = 0;
  for (const Segment& s : segments) {
    if (s.offset > memory_size_bytes ||
        s.bytes.size() > memory_size_bytes - s.offset) {
      return std::nullopt;
    }
    if (s.bytes.empty()) continue;
    lo = std::min(lo, s.offset);
    hi = std::max(hi, s.offset + s.bytes.size());
  }
  if (hi == 0) return std::nullopt;
  const uint64_t offset = lo / kPage * kPage;
  return Extent{offset, (hi + kPage - 1) / kPage * kPage - offset};
}

absl::StatusOr<std::unique_ptr<MemoryImage>> MemoryImage::Create(
    absl::Span<const Segment> segments, uint64_t memory_size_bytes) {
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.offset > memory_size_bytes ||
        s.bytes.size() > memory_size_bytes - s.offset) {
      return absl::OutOfRangeError(absl::StrCat(
          "MemoryImage::Create: segment ", i, " [", s.offset, ", +",
          s.bytes.size(), ") ends past the memory's ", memory_size_bytes,
          " bytes"));
    }
  }
  const std::optional<Extent> extent = Layout(segments, memory_size_bytes);
  if (!extent.has_value()) return std::unique_ptr<MemoryImage>();

  // Straight into the memfd, in order (later segments overwrite earlier
  // ones, as applying them would): no buffer of the image's span, and the
  // gaps between segments stay holes that read as zero.
  const int fd =
      memfd_create("kiln-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Errno("memfd_create");
  std::unique_ptr<MemoryImage> result(
      new MemoryImage(fd, 0, extent->offset, extent->length));
  if (ftruncate(fd, static_cast<off_t>(extent->length)) != 0) {
    return Errno("ftruncate");
  }
  for (const Segment& s : segments) {
    if (s.bytes.empty()) continue;
    if (absl::Status st = PwriteAll(fd, s.bytes.data(), s.bytes.size(),
                                    s.offset - extent->offset);
        !st.ok()) {
      return st;
    }
  }
  if (fcntl(fd, F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return Errno("sealing the memfd");
  }
  return result;
}

absl::StatusOr<std::unique_ptr<MemoryImage>> MemoryImage::FromFile(
    int fd, uint64_t file_offset, uint64_t offset, uint64_t length) {
  if (file_offset % kPage != 0 || offset % kPage != 0 || length % kPage != 0 ||
      length == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MemoryImage::FromFile: image of ", length, " bytes at file offset ",
        file_offset, " for memory offset ", offset,
        " is not page aligned or empty"));
  }
  const int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return Errno("dup of the image file");
  return std::unique_ptr<MemoryImage>(
      new MemoryImage(own, file_offset, offset, length));
}

absl::Status MemoryImage::ReadInto(absl::Span<uint8_t> out) const {
  if (out.size() != length_) {
    return absl::InvalidArgumentError(
        absl::StrCat("MemoryImage::ReadInto: buffer of ", out.size(),
                     " bytes for an image of ", length_));
  }
  uint64_t done = 0;
  while (done < length_) {
    const ssize_t n = pread(fd_, out.data() + done, length_ - done,
                            static_cast<off_t>(file_offset_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("pread");
    }
    if (n == 0) {
      return absl::DataLossError(absl::StrCat(
          "MemoryImage::ReadInto: image file ends ", length_ - done,
          " bytes early"));
    }
    done += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
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
                 fd_, static_cast<off_t>(file_offset_));
  if (p == MAP_FAILED) return Errno("mmap");
  return absl::OkStatus();
}

std::optional<ModuleImageSource> ImageSourceForMemory(
    const wasm::ModuleInfo& module, uint32_t memory_index) {
  if (memory_index >= module.memories.size() ||
      memory_index < module.num_imported_memories) {
    return std::nullopt;
  }
  const uint64_t min_pages = module.memories[memory_index].type.limits.min;
  if (min_pages > LinearMemory::kMaxPages64) return std::nullopt;  // fails
  ModuleImageSource source;
  source.memory_size_bytes = min_pages * LinearMemory::kWasmPageSize;
  for (const wasm::DataSegment& seg : module.data_segments) {
    if (seg.mode != wasm::SegmentMode::kActive ||
        seg.memory_index != memory_index) {
      continue;
    }
    uint64_t offset;
    if (seg.offset.kind == wasm::ConstExpr::Kind::kI32Const) {
      offset = static_cast<uint32_t>(seg.offset.bits);
    } else if (seg.offset.kind == wasm::ConstExpr::Kind::kI64Const) {
      offset = seg.offset.bits;  // memory64
    } else {
      return std::nullopt;
    }
    if (offset > source.memory_size_bytes ||
        seg.data_size > source.memory_size_bytes - offset) {
      return std::nullopt;  // traps at instantiation: apply them one by one
    }
    source.segments.push_back({offset, module.DataBytes(seg)});
  }
  return source;
}

absl::StatusOr<std::unique_ptr<MemoryImage>> MemoryImageOfMemory(
    const wasm::ModuleInfo& module, uint32_t memory_index) {
  std::optional<ModuleImageSource> source =
      ImageSourceForMemory(module, memory_index);
  if (!source.has_value()) return std::unique_ptr<MemoryImage>();
  return MemoryImage::Create(source->segments, source->memory_size_bytes);
}

absl::StatusOr<std::vector<std::unique_ptr<MemoryImage>>>
MemoryImagesOfModule(const wasm::ModuleInfo& module,
                     std::vector<std::unique_ptr<MemoryImage>> preset) {
  const uint32_t defined = static_cast<uint32_t>(module.memories.size()) -
                           module.num_imported_memories;
  std::vector<std::unique_ptr<MemoryImage>> images(defined);
  for (uint32_t d = 0; d < defined; ++d) {
    if (d < preset.size() && preset[d] != nullptr) {
      images[d] = std::move(preset[d]);
      continue;
    }
    absl::StatusOr<std::unique_ptr<MemoryImage>> image =
        MemoryImageOfMemory(module, module.num_imported_memories + d);
    if (!image.ok()) return image.status();
    images[d] = *std::move(image);
  }
  return images;
}

}  // namespace kiln::runtime
