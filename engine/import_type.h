// Import matching (WebAssembly 2.0 extern subtyping) with one wording,
// "incompatible import type for `m::n`: expected X, found Y", shared by
// Instance::Create and the Linker's InstancePre (which checks every import
// once, up front). Not part of the embedding API.
#ifndef KILN_ENGINE_IMPORT_TYPE_H_
#define KILN_ENGINE_IMPORT_TYPE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "engine/extern.h"
#include "engine/module.h"
#include "engine/store.h"
#include "wasm/module_info.h"

namespace kiln::internal {

// "`m::n`".
std::string ImportName(const wasm::Import& imp);
absl::Status IncompatibleImport(const wasm::Import& imp,
                                std::string_view expected,
                                std::string_view found);
// OK when `ext` matches import `imp` of `module`. `ext` must already be
// known to belong to `store` (Extern::OwnedBy): its state is read.
absl::Status CheckImportType(const StoreOpaque& store, const Module& module,
                             const wasm::Import& imp, const Extern& ext);

}  // namespace kiln::internal

#endif  // KILN_ENGINE_IMPORT_TYPE_H_
