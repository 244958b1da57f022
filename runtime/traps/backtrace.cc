#include "runtime/traps/backtrace.h"

#include "runtime/code/code_registry.h"

namespace kiln::runtime {

void CollectWasmReturnAddresses(uintptr_t fp, uintptr_t low, uintptr_t stop_fp,
                                absl::Span<uintptr_t> out, size_t* count,
                                bool* truncated) {
  const CodeRegistry& registry = CodeRegistry::Global();
  uintptr_t prev = low;
  while (fp != stop_fp) {
    if (fp % 8 != 0 || fp < prev || fp >= stop_fp) return;
    const auto* frame = reinterpret_cast<const uintptr_t*>(fp);
    const uintptr_t ret = frame[1];
    if (registry.Lookup(ret - 1) != nullptr) {
      if (*count < out.size()) {
        out[(*count)++] = ret;
      } else {
        *truncated = true;
        return;
      }
    }
    prev = fp + 16;
    fp = frame[0];
  }
}

std::vector<WasmFrame> SymbolizeBacktrace(absl::Span<const uintptr_t> pcs,
                                          bool first_is_exact) {
  std::vector<WasmFrame> frames;
  frames.reserve(pcs.size());
  for (size_t i = 0; i < pcs.size(); ++i) {
    const uintptr_t pc = pcs[i];
    const uintptr_t lookup = (i == 0 && first_is_exact) ? pc : pc - 1;
    const CodeRange* range = CodeRegistry::Global().Lookup(lookup);
    if (range == nullptr) continue;
    WasmFrame frame;
    frame.owner = range->owner;
    frame.pc = pc;
    frame.range_offset = static_cast<uint32_t>(pc - range->start);
    if (const FunctionRange* f = range->LookupFunction(lookup)) {
      frame.func_index = f->func_index;
      frame.func_offset = frame.range_offset - f->start;
    } else {
      frame.func_index = ~0u;
      frame.func_offset = frame.range_offset;
    }
    frames.push_back(frame);
  }
  return frames;
}

}  // namespace kiln::runtime
