#include "codegen/disasm/disasm_aarch64.h"

#include <capstone/capstone.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kiln::disasm {

std::vector<DisasmLine> DisassembleAarch64(absl::Span<const uint8_t> code,
                                           uint64_t base_address) {
  std::vector<DisasmLine> lines;
  csh handle;
  if (cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &handle) != CS_ERR_OK) {
    DisasmLine line;
    line.length = static_cast<uint32_t>(code.size());
    line.text = "(capstone unavailable)";
    lines.push_back(line);
    return lines;
  }
  cs_insn* insn = cs_malloc(handle);
  size_t offset = 0;
  while (offset < code.size()) {
    DisasmLine line;
    line.offset = static_cast<uint32_t>(offset);
    const uint8_t* p = code.data() + offset;
    size_t size = code.size() - offset;
    uint64_t address = base_address + offset;
    if (size < 4) {
      line.length = static_cast<uint32_t>(size);
      line.text = "(bad)";
    } else if (cs_disasm_iter(handle, &p, &size, &address, insn)) {
      line.length = insn->size;
      line.text = insn->op_str[0] != '\0'
                      ? absl::StrCat(insn->mnemonic, " ", insn->op_str)
                      : std::string(insn->mnemonic);
    } else {
      uint32_t word;
      std::memcpy(&word, code.data() + offset, 4);
      line.length = 4;
      line.text = absl::StrFormat(".word 0x%08x", word);
    }
    offset += line.length;
    lines.push_back(std::move(line));
  }
  cs_free(insn, 1);
  cs_close(&handle);
  return lines;
}

std::string FormatAarch64(absl::Span<const uint8_t> code) {
  std::string out;
  for (const DisasmLine& line : DisassembleAarch64(code)) {
    absl::StrAppendFormat(&out, "  %04x: %s\n", line.offset, line.text);
  }
  return out;
}

}  // namespace kiln::disasm
