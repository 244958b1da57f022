// The backend for the ISA Kiln runs on (the only one it compiles for: no
// cross-compilation). The one place that maps the host to an ISA folder.
#ifndef KILN_CODEGEN_ISA_HOST_BACKEND_H_
#define KILN_CODEGEN_ISA_HOST_BACKEND_H_

#include <memory>

#include "codegen/isa/backend.h"

namespace kiln::isa {

std::unique_ptr<Backend> CreateHostBackend();

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_HOST_BACKEND_H_
