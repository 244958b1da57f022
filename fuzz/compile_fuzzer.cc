// libFuzzer target: decode + validate, then compile every valid module with
// the optimizing compiler (IR verifier on after every pass, register
// allocation checker on every function). A valid module
// must compile: any error other than kUnimplemented (SIMD is not supported
// yet) is reported as a crash, as are crashes, leaks and hangs in the
// translator, optimizer, register allocator and x64 backend.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "codegen/compiler/compiler.h"
#include "wasm/decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<std::unique_ptr<kiln::wasm::ModuleInfo>> module =
      kiln::wasm::DecodeModule(absl::Span<const uint8_t>(data, size));
  if (!module.ok()) return 0;
  kiln::compiler::CompileOptions options;
  // The IR verifier after translation and after every pass, and the
  // register allocator's checker on every function: a broken pass or a
  // wrong allocation is a compile error, reported below, not a silent
  // miscompilation.
  options.verify = true;
  options.check_regalloc = true;
  options.num_threads = 1;
  absl::StatusOr<kiln::compiler::CompiledModule> compiled =
      kiln::compiler::CompileModule(**module, {}, options);
  if (!compiled.ok() && !absl::IsUnimplemented(compiled.status())) {
    std::string message(compiled.status().ToString());
    std::fprintf(stderr, "compile_fuzzer: a valid module failed to compile: %s\n",
                 message.c_str());
    std::abort();
  }
  return 0;
}
