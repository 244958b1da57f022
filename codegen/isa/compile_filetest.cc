#include "codegen/isa/compile_filetest.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/parser.h"

namespace kiln::isa {

absl::StatusOr<std::string> RunCompileFiletest(const CompileFiletest& test,
                                               absl::string_view options,
                                               absl::string_view input) {
  CompileContext ctx = test.ctx;
  bool vcode = false;
  for (absl::string_view opt :
       absl::StrSplit(options, absl::ByAnyChar(", "), absl::SkipEmpty())) {
    if (opt == "vcode") {
      vcode = true;
    } else if (opt == "nostack") {
      ctx.stack_check = false;
    } else if (!test.isa_option || !test.isa_option(opt, &ctx)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown ", test.kind, " option '", opt, "'"));
    }
  }
  absl::StatusOr<std::vector<ir::Function>> funcs = ir::ParseFunctions(input);
  if (!funcs.ok()) return funcs.status();
  std::string out;
  for (const ir::Function& f : *funcs) {
    if (!out.empty()) out += "\n";
    absl::StrAppend(&out, "function %", f.name(), ":\n");
    if (vcode) {
      absl::StatusOr<std::string> vc = test.backend->DumpVCode(f, ctx);
      if (!vc.ok()) return vc.status();
      absl::StrAppend(&out, "vcode:\n", *vc, "code:\n");
    }
    absl::StatusOr<CompiledFunction> c = test.backend->Compile(f, ctx);
    if (!c.ok()) {
      absl::StrAppend(&out, "error: ", c.status().message(), "\n");
      continue;
    }
    absl::StrAppend(&out, test.disassemble(c->code));
    for (const TrapSite& t : c->traps) {
      absl::StrAppendFormat(&out, "  trap %04x: %s\n", t.code_offset,
                            ir::TrapCodeTextName(t.code));
    }
    for (const Relocation& r : c->relocations) {
      absl::StrAppendFormat(
          &out, "  reloc %04x: %s %d\n", r.offset,
          r.target == RelocTarget::kBuiltin ? "builtin" : "func", r.index);
    }
    absl::StrAppendFormat(&out, "  frame_size %d\n", c->frame_size);
  }
  return out;
}

}  // namespace kiln::isa
