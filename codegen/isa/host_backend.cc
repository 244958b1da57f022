#include "codegen/isa/host_backend.h"

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "Kiln's code generator targets x86-64 and AArch64 (codegen/isa/x64, codegen/isa/aarch64)"
#endif

namespace kiln::isa {

std::unique_ptr<Backend> CreateHostBackend() {
#if defined(__x86_64__)
  return CreateX64Backend();
#else
  return CreateAarch64Backend();
#endif
}

std::unique_ptr<Backend> CreateBackendForTarget(std::string_view target) {
  if (target == "host") return CreateHostBackend();
  if (target == "aarch64" || target == "arm64") return CreateAarch64Backend();
#if defined(__x86_64__)
  if (target == "x64" || target == "x86_64") return CreateX64Backend();
#endif
  return nullptr;
}

}  // namespace kiln::isa
