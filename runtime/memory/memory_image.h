// MemoryImage: a module's initial linear-memory contents, built once per
// module into a sealed memfd and mapped copy-on-write into each new
// instance's memory, so instantiation cost does not grow with data size.
//
// Built from the active data segments when all of them have constant
// offsets and fit in the memory's minimum size (then no segment can trap
// and applying them in order is the same as mapping the image). The image
// covers the page-aligned span of all segments; pages in it that no
// segment touches are zero, like fresh memory. The memfd is written
// segment by segment, so a sparse image (segments far apart) costs only
// the pages the segments touch, not its span.
//
// A module loaded from a .cwasm file maps its image from the file itself
// (FromFile): the artifact stores the page-aligned image, so nothing is
// built or copied at load.
#ifndef KILN_RUNTIME_MEMORY_MEMORY_IMAGE_H_
#define KILN_RUNTIME_MEMORY_MEMORY_IMAGE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "runtime/memory/linear_memory.h"
#include "wasm/module_info.h"

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

  // Where Create would put the image of `segments`: the page-aligned
  // [offset, offset + length) covering every non-empty segment; nullopt
  // when there are no bytes (or a segment ends past `memory_size_bytes`).
  struct Extent {
    uint64_t offset;
    uint64_t length;
  };
  static std::optional<Extent> Layout(absl::Span<const Segment> segments,
                                    uint64_t memory_size_bytes);

  // The image bytes ([offset, offset + length) of the initialized memory)
  // into `out` (length() bytes); for writing it into a .cwasm.
  absl::Status ReadInto(absl::Span<uint8_t> out) const;

  // An image already laid out in a file: `length` bytes at `file_offset`
  // (page aligned) of `fd` are memory bytes [offset, offset + length).
  // Dups `fd` (the caller keeps its own). Instances then map the file
  // MAP_PRIVATE: the file must not change while the image lives.
  static absl::StatusOr<std::unique_ptr<MemoryImage>> FromFile(
      int fd, uint64_t file_offset, uint64_t offset, uint64_t length);

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
  MemoryImage(int fd, uint64_t file_offset, uint64_t offset, uint64_t length)
      : fd_(fd), file_offset_(file_offset), offset_(offset), length_(length) {}

  int fd_;
  uint64_t file_offset_;  // of the image in fd_ (0 for a memfd)
  uint64_t offset_;
  uint64_t length_;
};

// What the image of one of a module's memories is made of: the active
// data segments that target it, when the memory qualifies. It qualifies
// when it is defined (an imported memory's contents are not the module's
// to image) and every active data segment that targets it has an
// i32.const offset (a global.get offset is known only per instance) and
// fits in the memory's minimum size (so none can trap at instantiation
// and applying them in order is exactly the image). Passive segments do
// not matter (memory.init copies them at run time), nor do segments of
// other memories (multi-memory: a trap in one of those fails the
// instantiation, and this memory, not yet exported, is never seen).
// Segments keep their order.
struct ModuleImageSource {
  std::vector<MemoryImage::Segment> segments;
  uint64_t memory_size_bytes = 0;  // the memory's minimum size
};
std::optional<ModuleImageSource> ImageSourceForMemory(
    const wasm::ModuleInfo& module, uint32_t memory_index);
// Memory 0's.
inline std::optional<ModuleImageSource> ImageSourceForModule(
    const wasm::ModuleInfo& module) {
  return ImageSourceForMemory(module, 0);
}

// MemoryImage::Create of ImageSourceForMemory(module, memory_index); null
// (not an error) when the memory does not qualify or has no data to map.
absl::StatusOr<std::unique_ptr<MemoryImage>> MemoryImageOfMemory(
    const wasm::ModuleInfo& module, uint32_t memory_index);
// Memory 0's.
inline absl::StatusOr<std::unique_ptr<MemoryImage>> MemoryImageOfModule(
    const wasm::ModuleInfo& module) {
  return MemoryImageOfMemory(module, 0);
}

// The images of every defined memory (index: defined memory, i.e. memory
// index minus the imported memories; null entries where there is none).
// A non-null `preset[d]` is used for defined memory d instead of building
// it (images mapped from a .cwasm file).
absl::StatusOr<std::vector<std::unique_ptr<MemoryImage>>>
MemoryImagesOfModule(const wasm::ModuleInfo& module,
                     std::vector<std::unique_ptr<MemoryImage>> preset = {});

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_MEMORY_MEMORY_IMAGE_H_
