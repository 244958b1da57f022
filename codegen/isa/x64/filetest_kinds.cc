// `test compile [options]` filetests: IR in, x64 disassembly (with offsets),
// trap table and relocations out.
//
// Options (space or comma separated):
//   baseline   compile for plain x86-64 (no SSE4.1/POPCNT/LZCNT/BMI1);
//              the default is all features, so goldens do not depend on
//              the machine running the tests
//   vcode      also print the lowered VCode (before register allocation)
//   nostack    no prologue stack-limit check
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "codegen/disasm/disasm.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/compile_filetest.h"
#include "tests/filetests/filetest.h"

namespace kiln::isa::x64 {
namespace {

absl::StatusOr<std::string> RunCompile(absl::string_view options, absl::string_view input) {
  const std::unique_ptr<Backend> backend = CreateX64Backend();
  CompileFiletest test;
  test.kind = "compile";
  test.backend = backend.get();
  test.ctx.features = CpuFeatures::All();
  test.isa_option = [](absl::string_view opt, CompileContext* ctx) {
    if (opt != "baseline") return false;
    ctx->features = CpuFeatures::Baseline();
    return true;
  };
  test.disassemble = [](absl::Span<const uint8_t> code) { return disasm::FormatX64(code); };
  return RunCompileFiletest(test, options, input);
}

}  // namespace

KILN_FILETEST_KIND(compile, RunCompile);

}  // namespace kiln::isa::x64
