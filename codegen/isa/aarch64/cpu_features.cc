#include "codegen/isa/aarch64/cpu_features.h"

#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

namespace kiln::isa::aarch64 {

CpuFeatures CpuFeatures::Host() {
  CpuFeatures c;
#if defined(__aarch64__) && defined(HWCAP_ATOMICS)
  c.lse = (getauxval(AT_HWCAP) & HWCAP_ATOMICS) != 0;
#endif
  return c;
}

}  // namespace kiln::isa::aarch64
