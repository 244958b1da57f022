// The hooks through which `kiln wast` runs the execution commands of a script
// (invoke, get, register, assert_return, assert_trap, assert_exhaustion,
// assert_unlinkable, assert_uninstantiable). Without an engine those commands
// are reported as skipped. An execution engine implements WastEngine; the
// runner keeps all wast semantics (argument conversion, result matching
// including NaN patterns, which command expects which failure).
#ifndef KILN_CLI_WAST_ENGINE_H_
#define KILN_CLI_WAST_ENGINE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kiln::cli {

enum class WastValueType { kI32, kI64, kF32, kF64, kV128, kFuncRef, kExternRef };

// A value passed to or returned from wasm. Numbers are bit patterns: i32/f32
// in the low 32 bits of bits[0], i64/f64 in bits[0], v128 little-endian in
// bits[0] (bytes 0-7) and bits[1] (bytes 8-15). References are null or carry
// an id: for externref the N of `(ref.extern N)`; for funcref an id of the
// engine's choosing (the suite only checks that it is not null).
struct WastValue {
  WastValueType type = WastValueType::kI32;
  std::array<uint64_t, 2> bits = {0, 0};
  bool is_null = false;

  friend bool operator==(const WastValue&, const WastValue&) = default;
};

// The result of calling an export: either results or a trap.
struct WastInvokeOutcome {
  std::vector<WastValue> results;
  // Set when the call trapped; the spec's trap text where the engine has it
  // (e.g. "integer divide by zero", "call stack exhausted").
  std::optional<std::string> trap;
};

class WastEngine {
 public:
  virtual ~WastEngine() = default;

  // Starts a fresh script: drops every instance and registration.
  virtual void Reset() = 0;

  // Instantiates a module that Kiln's decoder has accepted. `name` is the
  // module's $id or empty. On success it becomes the current module (the one
  // an action with no module name refers to). An error status means the
  // module could not be linked (unknown import, import type mismatch) or
  // instantiation trapped (out-of-bounds segment, trap in the start function).
  virtual absl::Status Instantiate(absl::Span<const uint8_t> bytes,
                                   std::string_view name) = 0;

  // Makes the exports of the module named `module_name` (the current module
  // when empty) importable under `as_name`.
  virtual absl::Status Register(std::string_view as_name,
                                std::string_view module_name) = 0;

  // Calls export `field` of `module_name` (current module when empty). An
  // error status is a failure of the harness (no such export, wrong argument
  // types), not a trap.
  virtual absl::StatusOr<WastInvokeOutcome> Invoke(
      std::string_view module_name, std::string_view field,
      absl::Span<const WastValue> args) = 0;

  // Reads exported global `field` of `module_name` (current module when empty).
  virtual absl::StatusOr<WastValue> Get(std::string_view module_name,
                                        std::string_view field) = 0;
};

}  // namespace kiln::cli

#endif  // KILN_CLI_WAST_ENGINE_H_
