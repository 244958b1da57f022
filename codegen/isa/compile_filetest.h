// The body every ISA's `test compile` filetest kind shares: parse the
// options (`vcode`: also print the lowered VCode, `nostack`: no
// prologue stack-limit check, plus the ISA's own), parse the IR
// functions, compile each with the ISA's backend and print its
// disassembly, trap sites, relocations and frame size. The ISA supplies
// the backend, the disassembler and its extra options (x64/
// filetest_kinds.cc, aarch64/filetest_kinds.cc).
#ifndef KILN_CODEGEN_ISA_COMPILE_FILETEST_H_
#define KILN_CODEGEN_ISA_COMPILE_FILETEST_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "codegen/isa/backend.h"

namespace kiln::isa {

struct CompileFiletest {
  // The filetest kind's name, for errors ("unknown compile option 'x'").
  absl::string_view kind;
  const Backend* backend = nullptr;
  // The context before the options apply.
  CompileContext ctx;
  // Handles an option the shared ones do not; false: unknown option.
  std::function<bool(absl::string_view option, CompileContext* ctx)>
      isa_option;
  std::function<std::string(absl::Span<const uint8_t> code)> disassemble;
};

absl::StatusOr<std::string> RunCompileFiletest(const CompileFiletest& test,
                                               absl::string_view options,
                                               absl::string_view input);

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_COMPILE_FILETEST_H_
