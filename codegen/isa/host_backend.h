// Backends by ISA: the one for the host Kiln runs on, and any ISA Kiln can
// cross-compile for (`kiln compile --target=...`). The one place that maps
// the host and ISA names to ISA folders.
#ifndef KILN_CODEGEN_ISA_HOST_BACKEND_H_
#define KILN_CODEGEN_ISA_HOST_BACKEND_H_

#include <memory>
#include <string_view>

#include "codegen/isa/backend.h"

namespace kiln::isa {

std::unique_ptr<Backend> CreateHostBackend();

// "host", "x64" / "x86_64", "aarch64" / "arm64"; nullptr for an unknown
// name or an ISA this build does not include (x86-64 is built on x86-64
// hosts only: its lowering reads the host's CpuFeatures).
std::unique_ptr<Backend> CreateBackendForTarget(std::string_view target);

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_HOST_BACKEND_H_
