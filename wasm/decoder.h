// Public entry point: decode and validate a WebAssembly 2.0 binary module.
#ifndef KILN_WASM_DECODER_H_
#define KILN_WASM_DECODER_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "wasm/features.h"
#include "wasm/module_info.h"

namespace kiln::wasm {

struct DecodeOptions {
  bool validate_function_bodies = true;
  // Proposals beyond 2.0 the module may use (all by default); a module
  // that uses one that is off is invalid ("... requires the tail-call
  // feature, which is disabled ...").
  Features features;
};

// Decodes and validates a whole module. Error messages start with the byte
// offset, then the spec's wording:
//   "at byte 0x1a: type mismatch: expected i32, got f32"
// The returned ModuleInfo owns a copy of `bytes`.
absl::StatusOr<std::unique_ptr<ModuleInfo>> DecodeModule(
    absl::Span<const uint8_t> bytes, const DecodeOptions& options = {});

// Validates the body of defined function `func_index` of a decoded module
// (what DecodeModule does for every body when validate_function_bodies).
absl::Status ValidateFunction(const ModuleInfo& module, uint32_t func_index);

}  // namespace kiln::wasm

#endif  // KILN_WASM_DECODER_H_
