// libFuzzer target: kiln::wasm::DecodeModule (decode + validate) on arbitrary
// bytes. Besides "never crash, leak or hang", it checks that the decoder is
// consistent with itself:
//   - a rejected module has an error message;
//   - a fully validated module also decodes without body validation, every
//     defined function's body range lies inside the module's bytes, and
//     ValidateFunction accepts every body;
//   - a module that decodes without body validation but fails full
//     validation has a body that ValidateFunction rejects.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "wasm/decoder.h"

namespace {

[[noreturn]] void Violation(const char* what) {
  std::fprintf(stderr, "decode_fuzzer: invariant violated: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> bytes(data, size);
  absl::StatusOr<std::unique_ptr<kiln::wasm::ModuleInfo>> full =
      kiln::wasm::DecodeModule(bytes);
  kiln::wasm::DecodeOptions lazy_options;
  lazy_options.validate_function_bodies = false;
  absl::StatusOr<std::unique_ptr<kiln::wasm::ModuleInfo>> lazy =
      kiln::wasm::DecodeModule(bytes, lazy_options);

  if (!full.ok() && full.status().message().empty()) {
    Violation("error without a message");
  }
  if (full.ok() && !lazy.ok()) {
    Violation("valid module rejected without body validation");
  }
  if (!lazy.ok()) return 0;

  const kiln::wasm::ModuleInfo& module = **lazy;
  if (module.bytes.size() != size) Violation("ModuleInfo::bytes is not a copy");
  bool all_bodies_valid = true;
  for (uint32_t i = 0; i < module.functions.size(); ++i) {
    const kiln::wasm::Function& f = module.functions[i];
    if (f.type_index >= module.types.size()) Violation("function type index");
    if (f.imported) continue;
    if (uint64_t{f.body_offset} + f.body_size > module.bytes.size()) {
      Violation("function body outside the module");
    }
    if (!kiln::wasm::ValidateFunction(module, i).ok()) all_bodies_valid = false;
  }
  if (full.ok() && !all_bodies_valid) {
    Violation("valid module has a body ValidateFunction rejects");
  }
  if (!full.ok() && all_bodies_valid) {
    Violation("module rejected although every body validates");
  }
  return 0;
}
