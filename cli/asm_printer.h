// Disassembly of compiled functions annotated with wasm byte offets and trap
// sites, shared by `kiln compile --emit=asm` and `kiln objdump`.
#ifndef KILN_CLI_ASM_PRINTER_H_
#define KILN_CLI_ASM_PRINTER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/types/span.h"
#include "codegen/compiler/compiled_module.h"
#include "wasm/module_info.h"

namespace kiln::cli {

// "function 7 ($name)" or "function 7".
std::string FunctionTitle(const wasm::ModuleInfo& m, uint32_t func_index);

// Appends function `f`'s disassembly to `out`: a "; function ..." title,
// then "  0010: mov rax, rcx                ; @0x1a3 trap: ..." lines
// (offsets relative to the function; "@0x..." the wasm byte offset where it
// changes). `code` is the module's whole code blob (cm.code may be empty).
// `isa` names the code's ISA ("x64" or "aarch64").
void PrintAsm(const wasm::ModuleInfo& m, const compiler::CompiledModule& cm,
              absl::Span<const uint8_t> code,
              const compiler::CompiledFunctionInfo& f, std::string* out,
              std::string_view isa = "x64");

}  // namespace kiln::cli

#endif  // KILN_CLI_ASM_PRINTER_H_
