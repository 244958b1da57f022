// Disassembly annotated with wasm offsets (see asm_printer.h).
#include "cli/asm_printer.h"

#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "codegen/disasm/disasm.h"
#include "codegen/disasm/disasm_aarch64.h"
#include "runtime/abi/trap_code.h"

namespace kiln::cli {
namespace {

absl::string_view AV(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace

std::string FunctionTitle(const wasm::ModuleInfo& m, uint32_t f) {
  const std::string* name = m.FunctionName(f);
  return name ? absl::StrCat("function ", f, " ($", *name, ")")
              : absl::StrCat("function ", f);
}

void PrintAsm(const wasm::ModuleInfo& m, const compiler::CompiledModule& cm,
              absl::Span<const uint8_t> blob,
              const compiler::CompiledFunctionInfo& f, std::string* out,
              std::string_view isa) {
  absl::StrAppendFormat(out, "; %s: %u bytes at 0x%x, frame %u\n",
                        FunctionTitle(m, f.func_index), f.code_size,
                        f.code_offset, f.frame_size);
  absl::Span<const uint8_t> code = blob.subspan(f.code_offset, f.code_size);
  std::vector<disasm::DisasmLine> lines =
      isa == "aarch64" ? disasm::DisassembleAarch64(code, 0)
                       : disasm::DisassembleX64(code, 0);
  uint32_t sm = f.source_map_begin;
  uint32_t tr = f.traps_begin;
  uint32_t last_wasm = ~0u;
  for (const disasm::DisasmLine& l : lines) {
    const uint32_t at = f.code_offset + l.offset;
    const uint32_t end = at + l.length;
    // The source location in effect at this instruction: the last map
    // entry at or before it.
    uint32_t wasm_offset = ~0u;
    while (sm < f.source_map_end && cm.source_map[sm].code_offset <= at) {
      wasm_offset = cm.source_map[sm].wasm_offset;
      ++sm;
    }
    if (wasm_offset == ~0u && sm > f.source_map_begin) {
      wasm_offset = cm.source_map[sm - 1].wasm_offset;
    }
    std::string note;
    if (wasm_offset != ~0u && wasm_offset != last_wasm) {
      absl::StrAppendFormat(&note, "@0x%x", wasm_offset);
      last_wasm = wasm_offset;
    }
    while (tr < f.traps_end && cm.traps[tr].code_offset < end) {
      if (cm.traps[tr].code_offset >= at) {
        absl::StrAppend(&note, note.empty() ? "" : " ", "trap: ",
                        AV(abi::TrapCodeName(cm.traps[tr].code)));
      }
      ++tr;
    }
    if (note.empty()) {
      absl::StrAppendFormat(out, "  %04x: %s\n", l.offset, l.text);
    } else {
      absl::StrAppendFormat(out, "  %04x: %-40s ; %s\n", l.offset, l.text,
                            note);
    }
  }
  out->push_back('\n');
}

}  // namespace kiln::cli
