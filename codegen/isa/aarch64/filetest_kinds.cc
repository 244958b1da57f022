// `test compile_aarch64 [options]` filetests: IR in, AArch64 disassembly
// (Capstone, with offsets), trap table and relocations out. Runs on any
// host: the backend cross-compiles.
//
// Options (space or comma separated):
//   vcode      also print the lowered VCode (before register allocation)
//   nostack    no prologue stack-limit check
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "codegen/disasm/disasm_aarch64.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "tests/filetests/filetest.h"

namespace kiln::isa::aarch64 {
namespace {

absl::StatusOr<std::string> RunCompile(absl::string_view options, absl::string_view input) {
  CompileContext ctx;
  bool vcode = false;
  for (absl::string_view opt : absl::StrSplit(options, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    if (opt == "vcode") {
      vcode = true;
    } else if (opt == "nostack") {
      ctx.stack_check = false;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown compile_aarch64 option '", opt, "'"));
    }
  }
  absl::StatusOr<std::vector<ir::Function>> funcs = ir::ParseFunctions(input);
  if (!funcs.ok()) return funcs.status();
  std::unique_ptr<Backend> backend = CreateAarch64Backend();
  std::string out;
  for (const ir::Function& f : *funcs) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, "function %", f.name(), ":\n");
    if (vcode) {
      absl::StatusOr<std::string> vc = backend->DumpVCode(f, ctx);
      if (!vc.ok()) return vc.status();
      absl::StrAppend(&out, "vcode:\n", *vc, "code:\n");
    }
    absl::StatusOr<CompiledFunction> c = backend->Compile(f, ctx);
    if (!c.ok()) {
      absl::StrAppend(&out, "error: ", c.status().message(), "\n");
      continue;
    }
    absl::StrAppend(&out, disasm::FormatAarch64(c->code));
    for (const TrapSite& t : c->traps) {
      absl::StrAppendFormat(&out, "  trap %04x: %s\n", t.code_offset,
                            ir::TrapCodeTextName(t.code));
    }
    for (const Relocation& r : c->relocations) {
      absl::StrAppendFormat(&out, "  reloc %04x: %s %d\n", r.offset,
                            r.target == RelocTarget::kBuiltin ? "builtin" : "func", r.index);
    }
    absl::StrAppendFormat(&out, "  frame_size %d\n", c->frame_size);
  }
  return out;
}

}  // namespace

KILN_FILETEST_KIND(compile_aarch64, RunCompile);

}  // namespace kiln::isa::aarch64
