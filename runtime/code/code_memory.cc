#include "runtime/code/code_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace kiln::runtime {

absl::StatusOr<std::unique_ptr<CodeMemory>> CodeMemory::Allocate(size_t size) {
  if (size == 0) {
    return absl::InvalidArgumentError("CodeMemory::Allocate: size is 0");
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t rounded = (size + page - 1) / page * page;
  void* p = mmap(nullptr, rounded, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError(
        absl::StrCat("CodeMemory::Allocate: mmap of ", rounded,
                     " bytes failed: ", std::strerror(errno)));
  }
  return std::unique_ptr<CodeMemory>(
      new CodeMemory(static_cast<uint8_t*>(p), rounded));
}

absl::StatusOr<std::unique_ptr<CodeMemory>> CodeMemory::CreateFrom(
    absl::Span<const uint8_t> code) {
  auto memory = Allocate(code.size());
  if (!memory.ok()) return memory.status();
  std::memcpy((*memory)->writable().data(), code.data(), code.size());
  if (absl::Status s = (*memory)->Publish(); !s.ok()) return s;
  return memory;
}

CodeMemory::~CodeMemory() { munmap(base_, size_); }

absl::Span<uint8_t> CodeMemory::writable() {
  if (published_) return {};
  return absl::Span<uint8_t>(base_, size_);
}

absl::Status CodeMemory::Publish() {
  if (published_) return absl::OkStatus();
  if (mprotect(base_, size_, PROT_READ | PROT_EXEC) != 0) {
    return absl::InternalError(absl::StrCat(
        "CodeMemory::Publish: mprotect(RX) failed: ", std::strerror(errno)));
  }
  // No-op on x86-64; required on AArch64.
  __builtin___clear_cache(reinterpret_cast<char*>(base_),
                          reinterpret_cast<char*>(base_ + size_));
  published_ = true;
  return absl::OkStatus();
}

}  // namespace kiln::runtime
