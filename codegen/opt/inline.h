// Inlining of direct calls within one module.
//
// Not a `Pass`: it needs the IR of other functions. The module compiler
// (codegen/compiler/inline_plan.h) decides which functions may be inlined
// (small, or called from one site) and prepares their optimized IR once as
// an `InlineBody`, shared read-only by every compile thread; `InlineCalls`
// then splices those bodies into a caller before the caller's pipeline runs.
//
// A spliced call: the callee's entry block parameters become the call's
// arguments (both VMContext pointers included: for a call between functions
// of one module the callee's vmctx is the caller's), its other blocks are
// copied after the call's block, its returns jump to a continuation block
// whose parameters replace the call's results. Instructions keep their
// srcloc (the callee's wasm offset), so a trap in an inlined body reports
// its trap code and offset; a backtrace shows the caller's frame there.
// Calls inside the inlined body stay calls (one level of inlining).
#ifndef KILN_CODEGEN_OPT_INLINE_H_
#define KILN_CODEGEN_OPT_INLINE_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "codegen/ir/function.h"

namespace kiln::opt {

// A callee ready for splicing: its IR and its blocks in an order where
// every value is defined before it is used (reverse postorder).
struct InlineBody {
  ir::Function func;
  std::vector<ir::Block> order;
  // Instructions, the measure of every size limit.
  uint32_t size = 0;
  // False if it cannot be spliced: a tail call inside, or an unreachable
  // block left (never after dce).
  bool inlinable = false;
  // Inlined whatever the caller's budget (the one call site of a function
  // whose own code the compiler drops).
  bool always = false;
};

// Builds an InlineBody from a (verified) function.
InlineBody PrepareInlineBody(ir::Function func);

// Instructions in the layout.
uint32_t InstructionCount(const ir::Function& f);

struct InlineBudget {
  // A caller grows by at most max(min_growth, its own size * growth_factor)
  // instructions: compile time stays linear in the module size.
  uint32_t min_growth = 400;
  uint32_t growth_factor = 1;
};

// The body to inline for a call of wasm function `func_index`, or nullptr.
using InlineLookup = std::function<const InlineBody*(uint32_t func_index)>;

// Inlines the direct wasm calls of `caller` (function `caller_index`)
// whose callee `lookup` returns, in layout order while the budget lasts
// (`always` bodies regardless of it);
// never a call of the caller itself nor a tail call (its frame replaces
// the caller's, as backtraces show). Returns the number inlined.
int InlineCalls(ir::Function& caller, uint32_t caller_index,
                const InlineLookup& lookup, const InlineBudget& budget = {});

// Splices `callee` at `call` (a direct call whose signature is the
// callee's). Uses of the call's results are not rewritten here: each
// (result, replacement) pair is appended to `renames`; apply them with
// RenameValues once after all splices.
void InlineCall(ir::Function& caller, ir::Inst call, const InlineBody& callee,
                std::vector<std::pair<ir::Value, ir::Value>>* renames);

// Rewrites every operand and branch argument of `f` by `renames`.
void RenameValues(ir::Function& f,
                  absl::Span<const std::pair<ir::Value, ir::Value>> renames);

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_INLINE_H_
