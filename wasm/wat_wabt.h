// The wabt configuration behind WatToBinary (wat.h), for the one caller
// that drives wabt itself: the CLI's .wast scripts, whose modules wabt's
// script parser has already parsed. Kept apart from wat.h so users of
// WatToBinary do not see wabt's headers.
#ifndef KILN_WASM_WAT_WABT_H_
#define KILN_WASM_WAT_WABT_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wasm/features.h"

namespace kiln::wasm {

// The binary of a parsed, name-resolved module (wabt's validator is not
// run). kInternal if wabt cannot write it.
absl::StatusOr<std::vector<uint8_t>> WriteWabtModule(const wabt::Module& module,
                                                     bool write_debug_names,
                                                     const Features& features);

}  // namespace kiln::wasm

#endif  // KILN_WASM_WAT_WABT_H_
