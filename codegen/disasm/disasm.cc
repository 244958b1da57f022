#include "codegen/disasm/disasm.h"

#include <Zydis/Zydis.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kiln::disasm {

std::vector<DisasmLine> DisassembleX64(absl::Span<const uint8_t> code,
                                       uint64_t base_address) {
  std::vector<DisasmLine> lines;
  size_t offset = 0;
  while (offset < code.size()) {
    ZydisDisassembledInstruction insn;
    ZyanStatus status =
        ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, base_address + offset,
                              code.data() + offset, code.size() - offset, &insn);
    DisasmLine line;
    line.offset = static_cast<uint32_t>(offset);
    if (ZYAN_SUCCESS(status)) {
      line.length = insn.info.length;
      line.text = insn.text;
    } else {
      line.length = 1;
      line.text = absl::StrFormat("(bad) 0x%02x", code[offset]);
    }
    offset += line.length;
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string FormatX64(absl::Span<const uint8_t> code) {
  std::string out;
  for (const DisasmLine& line : DisassembleX64(code)) {
    absl::StrAppendFormat(&out, "  %04x: %s\n", line.offset, line.text);
  }
  return out;
}

std::string FormatX64Text(absl::Span<const uint8_t> code) {
  std::string out;
  for (const DisasmLine& line : DisassembleX64(code)) {
    absl::StrAppend(&out, line.text, "\n");
  }
  return out;
}

}  // namespace kiln::disasm
