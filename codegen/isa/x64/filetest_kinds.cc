// `test compile [options]` filetests: IR in, x64 disassembly (with offsets),
// trap table and relocations out.
//
// Options (space or comma separated):
//   baseline   compile for plain x86-64 (no SSE4.1/POPCNT/LZCNT/BMI1);
//              the default is all features, so goldens do not depend on
//              the machine running the tests
//   vcode      also print the lowered VCode (before register allocation)
//   nostack    no prologue stack-limit check
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "codegen/disasm/disasm.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/parser.h"
#include "codegen/isa/backend.h"
#include "tests/filetests/filetest.h"

namespace kiln::isa::x64 {
namespace {

absl::StatusOr<std::string> RunCompile(absl::string_view options, absl::string_view input) {
  CompileContext ctx;
  ctx.features = CpuFeatures::All();
  bool vcode = false;
  for (absl::string_view opt : absl::StrSplit(options, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    if (opt == "baseline") {
      ctx.features = CpuFeatures::Baseline();
    } else if (opt == "vcode") {
      vcode = true;
    } else if (opt == "nostack") {
      ctx.stack_check = false;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown compile option '", opt, "'"));
    }
  }
  absl::StatusOr<std::vector<ir::Function>> funcs = ir::ParseFunctions(input);
  if (!funcs.ok()) return funcs.status();
  std::unique_ptr<Backend> backend = CreateX64Backend();
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
    absl::StrAppend(&out, disasm::FormatX64(c->code));
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

KILN_FILETEST_KIND(compile, RunCompile);

}  // namespace kiln::isa::x64
