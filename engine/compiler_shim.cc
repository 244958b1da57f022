// Temporary stand-in for //codegen/compiler until compiler.cc lands:
// CompileModule fails with kUnimplemented. Remove when the real target
// exists.
#include "codegen/compiler/compiler.h"

namespace kiln::compiler {

absl::StatusOr<CompiledModule> CompileModule(const wasm::ModuleInfo& module,
                                             absl::Span<const uint8_t>,
                                             const CompileOptions&) {
  if (module.functions.size() == module.num_imported_functions) {
    CompiledModule m;
    m.num_imported_functions = module.num_imported_functions;
    return m;
  }
  return absl::UnimplementedError(
      "CompileModule: the compiler is not linked in yet");
}

}  // namespace kiln::compiler
