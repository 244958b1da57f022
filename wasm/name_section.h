// Parser for the "name" custom section (module, function and local names).
#ifndef KILN_WASM_NAME_SECTION_H_
#define KILN_WASM_NAME_SECTION_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "wasm/module_info.h"

namespace kiln::wasm {

// Parses the payload of a "name" section (after the section name) into
// module->module_name / function_names / local_names. A malformed name
// section is not an error for the module: on failure, the names parsed so
// far are discarded and the status is returned for diagnostics only.
absl::Status ParseNameSection(absl::Span<const uint8_t> payload,
                              size_t base_offset, ModuleInfo* module);

}  // namespace kiln::wasm

#endif  // KILN_WASM_NAME_SECTION_H_
