// Thin helpers over libwabt for the CLI's .wast scripts: wabt's script
// parser hands us parsed modules, so the CLI drives wabt itself, with the
// feature set and binary writer of wasm/wat_wabt.h (the one place that
// configures wabt; text -> binary is wasm::WatToBinary, wasm/wat.h).
// Everything else in the CLI sees absl::Status only.
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

namespace kiln::cli {

// The features Kiln implements (wasm::WabtFeatures).
wabt::Features Wasm2Features();

// Writes the binary encoding of a parsed (and name-resolved) wabt module,
// without the name section. wabt's validator is not run: invalid modules
// are written as they are. Returns kInternal if wabt cannot encode it.
absl::StatusOr<std::vector<uint8_t>> WriteWabtBinary(const wabt::Module& module);

// wasm::WatToBinary without the name section (the CLI's binaries are the
// text's encoding): kInvalidArgument when the text is malformed, kInternal
// when wabt cannot write the module. `filename` names the text in errors.
absl::StatusOr<std::vector<uint8_t>> WatToBinary(std::string_view filename,
                                                 std::string_view text);

// "file:line:col: message" for each error, joined by "; ". Binary locations
// print as "@0xOFFSET".
std::string FormatWabtErrors(const wabt::Errors& errors);

}  // namespace kiln::cli

#endif  // KILN_CLI_WABT_BRIDGE_H_
