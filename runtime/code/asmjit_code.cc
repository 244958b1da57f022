#include "runtime/code/asmjit_code.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kiln::runtime {

absl::StatusOr<std::unique_ptr<CodeMemory>> PublishAsmjitCode(
    asmjit::CodeHolder& code) {
  auto fail = [](const char* what, asmjit::Error err) {
    return absl::InternalError(absl::StrCat("PublishAsmjitCode: ", what,
                                            " failed: ",
                                            asmjit::DebugUtils::errorAsString(err)));
  };
  if (asmjit::Error err = code.flatten()) return fail("flatten", err);
  if (asmjit::Error err = code.resolveUnresolvedLinks()) {
    return fail("resolveUnresolvedLinks", err);
  }
  const size_t estimated = code.codeSize();
  if (estimated == 0) {
    return absl::InvalidArgumentError("PublishAsmjitCode: no code");
  }
  auto memory = CodeMemory::Allocate(estimated);
  if (!memory.ok()) return memory.status();
  absl::Span<uint8_t> dst = (*memory)->writable();
  if (asmjit::Error err = code.relocateToBase((*memory)->start())) {
    return fail("relocateToBase", err);
  }
  if (code.codeSize() > dst.size()) {
    return absl::InternalError("PublishAsmjitCode: code grew on relocation");
  }
  if (asmjit::Error err = code.copyFlattenedData(
          dst.data(), dst.size(), asmjit::CopySectionFlags::kPadTargetBuffer)) {
    return fail("copyFlattenedData", err);
  }
  if (absl::Status s = (*memory)->Publish(); !s.ok()) return s;
  return memory;
}

}  // namespace kiln::runtime
