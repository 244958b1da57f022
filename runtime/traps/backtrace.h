// Wasm backtraces by frame-pointer walk.
//
// Compiled code keeps rbp frames: [fp] = caller's fp, [fp + 8] = return
// address. A trap records raw pcs (async-signal-safe, no allocation) while
// the stack is intact; they are symbolized afterwards, outside the handler,
// against the CodeRegistry.
#ifndef KILN_RUNTIME_TRAPS_BACKTRACE_H_
#define KILN_RUNTIME_TRAPS_BACKTRACE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace kiln::runtime {

// One wasm frame of a backtrace.
struct WasmFrame {
  const void* owner = nullptr;  // CodeRange::owner (the module)
  uint32_t func_index = 0;      // wasm function index
  uint32_t func_offset = 0;     // pc - function start
  uint32_t range_offset = 0;    // pc - code range start
  uintptr_t pc = 0;             // faulting pc or return address
};

// Walks the frame chain from `fp`, appending to `out` every return address
// that lies in registered wasm code, until `stop_fp` (exclusive: the entry
// trampoline's frame). Each fp must be 8-aligned, strictly increasing, above
// `low` and below `stop_fp`; the walk stops at the first that is not, so a
// broken chain ends the walk rather than faulting. Appends at most
// `out.size() - *count` pcs; sets *truncated if more were found.
// Async-signal-safe.
void CollectWasmReturnAddresses(uintptr_t fp, uintptr_t low, uintptr_t stop_fp,
                                absl::Span<uintptr_t> out, size_t* count,
                                bool* truncated);

// Resolves raw pcs to wasm frames (pcs not in registered code are dropped).
// pcs[0] is looked up as is when `first_is_exact` (a faulting pc); every
// other pc is a return address and is looked up as pc - 1 so that a call
// at the very end of a function still names that function.
std::vector<WasmFrame> SymbolizeBacktrace(absl::Span<const uintptr_t> pcs,
                                          bool first_is_exact);

}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_BACKTRACE_H_
