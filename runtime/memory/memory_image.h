// MemoryImage: a module's initial linear-memory contents, built once per
// module into a sealed memfd and mapped copy-on-write into each new
// instance's memory, so instantiation cost does not grow with data size.
//
// Built from the active data segments when all of them have constant
// offsets and fit in the memory's minimum size (then no segment can trap
// and applying them in order is the same as mapping the image). The image
// covers the page-aligned span of all segments; pages in it that no
// segment touches are zero, like fresh memory.
#ifndef KILN_RUNTIME_MEMORY_MEMORY_IMAGE_H_
#define KILN_RUNTIME_MEMORY_MEMORY_IMAGE_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/memory/linear_memory.h"

namespace kiln::runtime {

class MemoryImage {
 public:
  struct Segment {
    uint64_t offset;                  // byte offset in linear memory
    absl::Span<const uint8_t> bytes;  // later segments overwrite earlier
  };

  // nullptr (not an error) when there is nothing to map (no bytes).
  // Fails if a segment ends past `memory_size_bytes` or memfd fails.
  static absl::StatusOr<std::unique_ptr<MemoryImage>> Create(
      absl::Span<const Segment> segments, uint64_t memory_size_bytes);

  ~MemoryImage();
  MemoryImage(const MemoryImage&) = delete;
  MemoryImage& operator=(const MemoryImage&) = delete;

  uint64_t offset() const { return offset_; }  // page aligned
  uint64_t length() const { return length_; }  // page aligned, > 0

  // Maps the image copy-on-write over [base + offset, + length) of
  // `memory`, replacing what was there. The memory must be at least
  // offset() + length() bytes. Writes by the instance stay private.
  absl::Status MapInto(LinearMemory& memory) const;

 private:
  MemoryImage(int fd, uint64_t offset, uint64_t length)
      : fd_(fd), offset_(offset), length_(length) {}

  int fd_;
  uint64_t offset_;
  uint64_t length_;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_MEMORY_MEMORY_IMAGE_H_
