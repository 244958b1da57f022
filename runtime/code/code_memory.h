// CodeMemory: executable memory for generated code, write-xor-execute.
//
// Life cycle: Allocate(size) maps fresh pages read-write; the caller writes
// the code (and relocates it to base()) through writable(); Publish() flips
// the pages to read+execute (mprotect) and flushes the instruction cache.
// The pages are never writable and executable at the same time. The
// destructor unmaps them; the owner must make sure no thread still runs the
// code and that it was unregistered from the CodeRegistry first.
#ifndef KILN_RUNTIME_CODE_CODE_MEMORY_H_
#define KILN_RUNTIME_CODE_CODE_MEMORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kiln::runtime {

class CodeMemory {
 public:
  // Maps at least `size` bytes (rounded up to whole pages) read-write.
  // `size` must be > 0.
  static absl::StatusOr<std::unique_ptr<CodeMemory>> Allocate(size_t size);

  // Allocate + copy `code` + Publish. For position-independent code.
  static absl::StatusOr<std::unique_ptr<CodeMemory>> CreateFrom(
      absl::Span<const uint8_t> code);

  CodeMemory(const CodeMemory&) = delete;
  CodeMemory& operator=(const CodeMemory&) = delete;
  ~CodeMemory();

  // The whole mapping, writable. Only valid before Publish().
  absl::Span<uint8_t> writable();

  // Makes the pages read+execute (never writable again). Idempotent.
  absl::Status Publish();
  bool published() const { return published_; }

  const uint8_t* base() const { return base_; }
  uintptr_t start() const { return reinterpret_cast<uintptr_t>(base_); }
  // Mapped bytes (a multiple of the page size).
  size_t size() const { return size_; }
  bool Contains(uintptr_t pc) const { return pc - start() < size_; }

 private:
  CodeMemory(uint8_t* base, size_t size) : base_(base), size_(size) {}

  uint8_t* base_;
  size_t size_;
  bool published_ = false;
};

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_CODE_CODE_MEMORY_H_
