#include "codegen/compiler/inline_plan.h"

#include <memory>

#include "wasm/function_body_decoder.h"

namespace kiln::compiler {
namespace {

// Counts direct call sites (in reachable code: the translator drops the
// rest) and notes tail calls.
struct CallScan : wasm::BaseInterface<> {
  std::vector<uint32_t>* sites = nullptr;
  bool tail_call = false;

  void Call(uint32_t function, const wasm::FuncType&, absl::Span<const Value>,
            absl::Span<Value>) {
    ++(*sites)[function];
  }
  void ReturnCall(uint32_t function, const wasm::FuncType&,
                  absl::Span<const Value>) {
    ++(*sites)[function];
    tail_call = true;
  }
  void ReturnCallIndirect(uint32_t, uint32_t, const wasm::FuncType&,
                          const Value&, absl::Span<const Value>) {
    tail_call = true;
  }
};

}  // namespace

std::vector<uint32_t> PlanInlining(const wasm::ModuleInfo& m,
                                   absl::Span<const uint8_t> module_bytes,
                                   const InlineLimits& limits) {
  const uint32_t n = static_cast<uint32_t>(m.functions.size());
  const uint32_t first = m.num_imported_functions;
  std::vector<uint32_t> sites(n, 0);
  std::vector<bool> tail_call(n, false);
  const absl::Span<const uint8_t> bytes =
      m.bytes.empty() ? module_bytes : absl::MakeConstSpan(m.bytes);
  CallScan scan;
  scan.sites = &sites;
  std::unique_ptr<wasm::FunctionBodyDecoder<CallScan>> decoder;
  for (uint32_t f = first; f < n; ++f) {
    const wasm::Function& fn = m.functions[f];
    if (uint64_t{fn.body_offset} + fn.body_size > bytes.size()) continue;
    const absl::Span<const uint8_t> body =
        bytes.subspan(fn.body_offset, fn.body_size);
    if (decoder == nullptr) {
      decoder = std::make_unique<wasm::FunctionBodyDecoder<CallScan>>(
          m, f, body, fn.body_offset, &scan);
    } else {
      decoder->Reset(f, body, fn.body_offset);
    }
    scan.tail_call = false;
    // An invalid body fails its own translation later, with the error the
    // compiler reports; here it only stops counting.
    (void)decoder->Decode();
    tail_call[f] = scan.tail_call;
  }
  std::vector<uint32_t> plan(n, 0);
  for (uint32_t f = first; f < n; ++f) {
    const uint32_t size = m.functions[f].body_size;
    if (tail_call[f]) continue;
    if (size <= limits.small_body_bytes) {
      plan[f] = limits.small_size;
    }
    if (sites[f] == 1 && size <= limits.single_site_body_bytes) {
      plan[f] = std::max(plan[f], limits.single_site_size);
    }
  }
  return plan;
}

}  // namespace kiln::compiler
