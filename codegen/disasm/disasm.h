// Zydis-based x86-64 disassembler for tests and `kiln compile --emit=asm`.
#ifndef KILN_CODEGEN_DISASM_DISASM_H_
#define KILN_CODEGEN_DISASM_DISASM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace kiln::disasm {

struct DisasmLine {
  uint32_t offset = 0;
  uint32_t length = 0;
  std::string text;  // Intel syntax, e.g. "mov rax, rcx"
};

// Decodes `code` as x86-64 starting at `base_address` (used for branch
// targets). Undecodable bytes become one "(bad)" line of length 1.
std::vector<DisasmLine> DisassembleX64(absl::Span<const uint8_t> code,
                                       uint64_t base_address = 0);

// One line per instruction: "  0010: mov rax, rcx". Branch targets are
// printed relative to the start of `code` (base address 0).
std::string FormatX64(absl::Span<const uint8_t> code);

// Only the instruction texts, one per line (no offsets). Handy for golden
// tests that should not depend on instruction sizes.
std::string FormatX64Text(absl::Span<const uint8_t> code);

}  // namespace kiln::disasm

#endif  // KILN_CODEGEN_DISASM_DISASM_H_
