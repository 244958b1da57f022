#include "codegen/compiler/inline_plan.h"

#include <algorithm>
#include <optional>

#include "wasm/instruction_reader.h"

namespace kiln::compiler {

InlinePlan PlanInlining(const wasm::ModuleInfo& m,
                        absl::Span<const uint8_t> module_bytes,
                        const InlineLimits& limits) {
  const uint32_t n = static_cast<uint32_t>(m.functions.size());
  const uint32_t first = m.num_imported_functions;
  std::vector<uint32_t> sites(n, 0);
  std::vector<bool> tail_call(n, false);
  std::vector<bool> tail_site(n, false);
  InlinePlan plan;
  plan.caller.assign(n, 0);
  const absl::Span<const uint8_t> bytes =
      m.bytes.empty() ? module_bytes : absl::MakeConstSpan(m.bytes);
  for (uint32_t f = first; f < n; ++f) {
    const wasm::Function& fn = m.functions[f];
    if (uint64_t{fn.body_offset} + fn.body_size > bytes.size()) continue;
    // Calls in unreachable code count too (the translator drops them):
    // counts can only be higher than the IR's, which keeps every decision
    // safe. A malformed body fails its own translation later, with the
    // error the compiler reports; here it only stops counting.
    wasm::InstructionReader r(bytes.subspan(fn.body_offset, fn.body_size));
    r.ReadLocals();
    wasm::Opcode op;
    uint64_t callee;
    while (r.Next(&op, &callee)) {
      if (op == wasm::Opcode::kReturnCallIndirect) tail_call[f] = true;
      if (op != wasm::Opcode::kCall && op != wasm::Opcode::kReturnCall) {
        continue;
      }
      if (callee >= n) continue;
      ++sites[callee];
      if (op == wasm::Opcode::kReturnCall) {
        tail_site[callee] = true;
        tail_call[f] = true;
      } else {
        plan.caller[callee] = static_cast<uint32_t>(f);
      }
    }
  }
  plan.max_size.assign(n, 0);
  plan.single_site.assign(n, false);
  plan.unreferenced.assign(n, false);
  // Without the table (hand-made ModuleInfo) every function may escape.
  const bool know_refs = m.declared_functions.size() == n;
  for (uint32_t f = first; f < n; ++f) {
    const uint32_t size = m.functions[f].body_size;
    if (tail_call[f]) continue;
    // Without a direct call site nothing would inline it: not prepared.
    if (size <= limits.small_body_bytes && sites[f] > 0) {
      plan.max_size[f] = limits.small_size;
    }
    if (sites[f] == 1 && !tail_site[f] && plan.caller[f] != f &&
        size <= limits.single_site_body_bytes) {
      plan.single_site[f] = true;
      plan.unreferenced[f] = know_refs && !m.declared_functions[f] &&
                             m.start != std::optional<uint32_t>(f);
    }
  }
  // Whether a function's body may be inlined somewhere (decided before the
  // loop below changes max_size: the answer must not depend on the order).
  std::vector<bool> may_inline(n, false);
  for (uint32_t f = first; f < n; ++f) {
    may_inline[f] =
        sites[f] > 0 && (plan.max_size[f] != 0 || plan.unreferenced[f]);
  }
  for (uint32_t f = first; f < n; ++f) {
    if (!plan.unreferenced[f]) continue;
    // A caller whose body may be inlined elsewhere would copy the call out
    // of reach of the one-level inliner.
    const uint32_t c = plan.caller[f];
    if (may_inline[c]) {
      plan.unreferenced[f] = false;
      continue;
    }
    // Inlined at its one site only if its own code goes: never duplicated.
    plan.max_size[f] = std::max(plan.max_size[f], limits.single_site_size);
  }
  return plan;
}

}  // namespace kiln::compiler
