// Thin helpers over libwabt: the WebAssembly 2.0 feature set, text to binary,
// and error formatting. Everything that touches wabt's text parser or binary
// writer goes through here so the rest of the CLI sees absl::Status only.
#ifndef KILN_CLI_WABT_BRIDGE_H_
#define KILN_CLI_WABT_BRIDGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wasm/features.h"

namespace kiln::cli {

// The wabt features that make up WebAssembly 2.0: mutable globals, saturating
// float-to-int, sign extension, multi-value, bulk memory, reference types and
// SIMD. Proposals beyond 2.0 (threads, exceptions, tail calls, ...) are off.
// The functions below take the proposals to accept (wasm/features.def, all
// by default: Kiln's validator decides what the engine accepts).
wabt::Features Wasm2Features();

// Writes the binary encoding of a parsed (and name-resolved) wabt module.
// wabt's validator is not run: invalid modules are written as they are.
// Returns kInternal if wabt cannot encode the module.
absl::StatusOr<std::vector<uint8_t>> WriteWabtBinary(
    const wabt::Module& module,
    const wasm::Features& features = wasm::Features::All());

// Parses WebAssembly text (`(module ...)` or bare module fields, as in a
// quoted module) and resolves its names. `filename` names the text in errors.
// Returns kInvalidArgument when the text is malformed.
absl::StatusOr<std::unique_ptr<wabt::Module>> ParseWat(
    std::string_view filename, std::string_view text,
    const wasm::Features& features = wasm::Features::All());

// ParseWat then WriteWabtBinary: kInvalidArgument when the text is malformed,
// kInternal when wabt cannot write the module.
absl::StatusOr<std::vector<uint8_t>> WatToBinary(
    std::string_view filename, std::string_view text,
    const wasm::Features& features = wasm::Features::All());

// "file:line:col: message" for each error, joined by "; ". Binary locations
// print as "@0xOFFSET".
std::string FormatWabtErrors(const wabt::Errors& errors);

}  // namespace kiln::cli

#endif  // KILN_CLI_WABT_BRIDGE_H_
