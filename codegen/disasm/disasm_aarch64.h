// Capstone-based AArch64 disassembler for `kiln compile --target=aarch64
// --emit=asm` and the aarch64 filetests (works on any host).
#ifndef KILN_CODEGEN_DISASM_DISASM_AARCH64_H_
#define KILN_CODEGEN_DISASM_DISASM_AARCH64_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "codegen/disasm/disasm.h"

namespace kiln::disasm {

// Decodes `code` as AArch64 (little endian) starting at `base_address`
// (branch targets are absolute). A word Capstone cannot decode becomes one
// ".word 0x..." line; a trailing partial word one "(bad)" line.
std::vector<DisasmLine> DisassembleAarch64(absl::Span<const uint8_t> code,
                                           uint64_t base_address = 0);

// One line per instruction: "  0010: add x0, x1, x2".
std::string FormatAarch64(absl::Span<const uint8_t> code);

}  // namespace kiln::disasm

#endif  // KILN_CODEGEN_DISASM_DISASM_AARCH64_H_
