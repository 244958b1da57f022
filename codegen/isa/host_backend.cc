#include "codegen/isa/host_backend.h"

#if !defined(__x86_64__)
#error "Kiln's code generator targets x86-64 only (codegen/isa/x64)"
#endif

namespace kiln::isa {

std::unique_ptr<Backend> CreateHostBackend() { return CreateX64Backend(); }

}  // namespace kiln::isa
