// Module compiler: wasm::ModuleInfo -> CompiledModule.
//
// For each defined function: translate (codegen/translate) -> inline the
// module's small and single-call-site functions (their optimized IR,
// prepared once; codegen/compiler/inline_plan.h) -> optimization pipeline
// (the verifier after each pass when `verify` is set) -> Backend::Compile -> append to one code blob (16-byte
// aligned), then resolve direct calls between defined functions inside the
// blob. Functions may be compiled on several threads (`num_threads`); the
// result is identical for any thread count.
//
// Usage:
//   kiln::compiler::CompileOptions opts;             // host CPU, x64
//   absl::StatusOr<kiln::compiler::CompiledModule> m =
//       kiln::compiler::CompileModule(module_info, {}, opts);
//
// Errors name the function ("function 7 ($main) at offset 0x1a3: ...").
// SIMD opcodes fail with absl::StatusCode::kUnimplemented naming the
// function and the opcode, so callers (spec runner) can skip such modules.
#ifndef KILN_CODEGEN_COMPILER_COMPILER_H_
#define KILN_CODEGEN_COMPILER_COMPILER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/compiler/compiled_module.h"
#include "codegen/isa/backend.h"
#include "codegen/translate/translator.h"
#include "wasm/module_info.h"

namespace kiln::ir {
class Function;
}

namespace kiln::compiler {

struct CompileOptions {
  // The backend to use; nullptr = the default x86-64 backend
  // (isa::CreateHostBackend()).
  const isa::Backend* backend = nullptr;
  isa::CpuFeatures features = isa::CpuFeatures::Host();
  // Prologue stack-limit check against VMRuntimeLimits::stack_limit,
  // reached through VMContextHeader::runtime_limits.
  bool stack_check = true;
  // Run the optimization pipeline (opt::AddDefaultPipeline).
  bool optimize = true;
  // With `optimize`: inline small and single-call-site functions of the
  // module into their callers (codegen/compiler/inline_plan.h).
  bool inline_functions = true;
  // Run the IR verifier after translation and after every pass.
#ifdef NDEBUG
  bool verify = false;
#else
  bool verify = true;
#endif
  // Run the register allocator's checker on every function
  // (isa::CompileContext::check_regalloc).
  bool check_regalloc = false;
  // Worker threads for per-function compilation (1 = calling thread only;
  // 0 = hardware concurrency).
  int num_threads = 1;
  // Translation options (memory guard size, funcref table init bit, ...).
  translate::TranslateOptions translate;
  // Called (on the compiling thread, possibly concurrently for different
  // functions) with each function's IR after optimization, before the
  // backend. For `kiln compile --emit=ir` and debugging.
  std::function<void(uint32_t func_index, const ir::Function&)> on_ir;
  // Stop after on_ir (no backend): CompileModule returns a CompiledModule
  // without code. For --emit=ir when no backend is available.
  bool skip_codegen = false;
};

// Every function body is validated in the same walk that translates it, so
// a module decoded with DecodeOptions::validate_function_bodies = false is
// fully validated by a successful CompileModule (errors name the function
// and byte offset; with several threads the lowest-numbered failing
// function is reported).
//
// `module_bytes` is unused when `module` owns its bytes (ModuleInfo::bytes,
// always the case for modules from wasm::DecodeModule); pass {} then. If
// `module.bytes` is empty, function bodies are read from `module_bytes`.
absl::StatusOr<CompiledModule> CompileModule(
    const wasm::ModuleInfo& module, absl::Span<const uint8_t> module_bytes,
    const CompileOptions& options);

// The VMContext counts compiled code assumes for `module`.
abi::VMOffsetsCounts VMContextCountsFor(const wasm::ModuleInfo& module);

}  // namespace kiln::compiler

#endif  // KILN_CODEGEN_COMPILER_COMPILER_H_
