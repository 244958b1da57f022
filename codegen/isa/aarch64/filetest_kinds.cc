// `test compile_aarch64 [options]` filetests: IR in, AArch64 disassembly
// (Capstone, with offsets), trap table and relocations out. Runs on any
// host: the backend cross-compiles.
//
// Options (space or comma separated):
//   vcode      also print the lowered VCode (before register allocation)
//   nostack    no prologue stack-limit check
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "codegen/disasm/disasm_aarch64.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/compile_filetest.h"
#include "tests/filetests/filetest.h"

namespace kiln::isa::aarch64 {
namespace {

absl::StatusOr<std::string> RunCompile(absl::string_view options, absl::string_view input) {
  const std::unique_ptr<Backend> backend = CreateAarch64Backend();
  CompileFiletest test;
  test.kind = "compile_aarch64";
  test.backend = backend.get();
  test.disassemble = [](absl::Span<const uint8_t> code) { return disasm::FormatAarch64(code); };
  return RunCompileFiletest(test, options, input);
}

}  // namespace

KILN_FILETEST_KIND(compile_aarch64, RunCompile);

}  // namespace kiln::isa::aarch64
