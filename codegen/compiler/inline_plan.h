// Which functions of a module the compiler may inline (codegen/opt/inline.h).
//
// One cheap walk over every body (wasm::InstructionReader: opcodes and
// immediates, no validation) counts the direct call sites of each defined
// function. A defined
// function is a candidate if its body is small, or if it has exactly one
// call site, nothing else reaches it (not exported, not in a table) and its
// body is of moderate size: then its code is dropped once inlined, so
// inlining it costs no compile time. The compiler translates and
// optimizes each candidate once, then keeps it only if its IR fits the
// instruction limit of its kind. Every decision depends on the module alone,
// never on the thread count, so compiled code is deterministic.
#ifndef KILN_CODEGEN_COMPILER_INLINE_PLAN_H_
#define KILN_CODEGEN_COMPILER_INLINE_PLAN_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "codegen/opt/inline.h"
#include "wasm/module_info.h"

namespace kiln::compiler {

struct InlineLimits {
  // IR instructions (after the callee's own pipeline) of a callee inlined
  // at every call site.
  uint32_t small_size = 40;
  // ... of a callee with exactly one call site in the module and nothing
  // else reaching it (its own code is then dropped).
  uint32_t single_site_size = 400;
  // Instructions of such callees inlined into one caller (they bypass the
  // caller's growth budget; past this, they are compiled as usual).
  uint32_t single_site_total = 1000;
  // Body bytes above which a function is not even translated as a
  // candidate (the IR is a few instructions per byte at most). Measured on
  // libc_all.wasm and the program suite (codegen/opt/README.md): 160 costs
  // 5% more compile time than 96 for no run-time gain; 80 or less loses
  // the gain on json.
  uint32_t small_body_bytes = 96;
  uint32_t single_site_body_bytes = 2000;
  opt::InlineBudget budget;
};

struct InlinePlan {
  // Per function index: the IR size limit under which it may be inlined,
  // 0 if it is not a candidate (imported functions, bodies over the byte
  // limits, functions with a tail call in them).
  std::vector<uint32_t> max_size;
  // Exactly one call site (a plain `call` in another function): inlined
  // there whatever the caller's budget (up to single_site_size).
  std::vector<bool> single_site;
  // The one caller of a single_site function.
  std::vector<uint32_t> caller;
  // single_site and nothing else can reach it (not exported, in no element
  // segment or global initializer, not the start function): once inlined
  // at its site, its own code is never run, so the compiler emits a trap
  // instead; not when its caller is called and a candidate itself (its
  // body, inlined elsewhere, would copy the call out of reach of the
  // one-level inliner).
  std::vector<bool> unreferenced;
};

InlinePlan PlanInlining(const wasm::ModuleInfo& module,
                        absl::Span<const uint8_t> module_bytes,
                        const InlineLimits& limits);

}  // namespace kiln::compiler

#endif  // KILN_CODEGEN_COMPILER_INLINE_PLAN_H_
