// WebAssembly text -> binary through libwabt, with WebAssembly 2.0 and the
// proposals of WatOptions::features: the one place that configures wabt for it
// (the compiler's tests, the embedding API's Module::FromWat and the CLI's
// .wat loading should all come here).
#ifndef KILN_WASM_WAT_H_
#define KILN_WASM_WAT_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "wasm/features.h"

namespace kiln::wasm {

struct WatOptions {
  // Named in error messages ("file.wat:3:7: ...").
  std::string_view filename = "<wat>";
  // Write the name section (function names for backtraces).
  bool write_debug_names = true;
  // Proposals the parser accepts (all by default; Kiln's validator decides
  // whether the engine accepts the module).
  Features features;
};

// kInvalidArgument "malformed text: <wabt's messages>" when the text does
// not parse or resolve; kInternal when wabt cannot write the binary.
absl::StatusOr<std::vector<uint8_t>> WatToBinary(std::string_view text,
                                                 const WatOptions& options = {});

}  // namespace kiln::wasm

#endif  // KILN_WASM_WAT_H_
