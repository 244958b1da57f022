// Publishing an asmjit CodeHolder into a CodeMemory.
#ifndef KILN_RUNTIME_CODE_ASMJIT_CODE_H_
#define KILN_RUNTIME_CODE_ASMJIT_CODE_H_

#include <memory>

#include <asmjit/core.h>

#include "absl/status/statusor.h"
#include "runtime/code/code_memory.h"

namespace kiln::runtime {

// Flattens `code`, resolves its links, allocates a CodeMemory, relocates the
// code to its address, copies it there and publishes it (RX). Offsets of
// labels in `code` (CodeHolder::labelOffsetFromBase) are then offsets from
// CodeMemory::base().
absl::StatusOr<std::unique_ptr<CodeMemory>> PublishAsmjitCode(
    asmjit::CodeHolder& code);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_CODE_ASMJIT_CODE_H_
