#include "runtime/fiber/stack_switch.h"

#include <cstdio>
#include <cstdlib>

namespace kiln::runtime {

namespace internal {
void BoostEntry(boost::context::detail::transfer_t t) {
  const auto* from = static_cast<const BoostSwitch*>(t.data);
  *from->save = t.fctx;
  from->entry(from->arg);
  std::fprintf(stderr, "kiln: a stack entry returned\n");
  std::abort();
}
}  // namespace internal

}  // namespace kiln::runtime
