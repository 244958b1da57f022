// Where a trampoline finds or puts each wasm parameter of a signature
// under the host ISA's calling convention (runtime/abi/call_conv.h). The
// per-ISA trampoline emitters (trampolines/<isa>/) turn it into code.
#ifndef KILN_CODEGEN_TRAMPOLINES_LAYOUT_H_
#define KILN_CODEGEN_TRAMPOLINES_LAYOUT_H_

#include <asmjit/core.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/trampolines/trampolines.h"
#include "runtime/abi/call_conv.h"
#include "wasm/types.h"

namespace kiln::trampolines {

struct Layout {
  std::vector<abi::ArgSlot> params;  // wasm params (after the hidden args)
  bool has_ret_area = false;
  abi::ArgSlot ret_area;
  int stack_slots = 0;
};

bool IsFloatClass(wasm::ValType t);

// With `v128` (array calls), v128 params travel in float registers, a
// single v128 result in the first float result register and v128 results
// among several in the return area (16 bytes each, abi::ReturnAreaOffsets);
// v128 params on the stack are not supported (kUnimplemented), nor v128
// anywhere without `v128`.
absl::StatusOr<Layout> ComputeLayout(const wasm::FuncType& type,
                                     bool v128 = false);

// The array-call trampoline's outgoing area, at the stack pointer while
// it calls: the callee's stack arguments, then the multi-value return
// area (abi::ReturnAreaOffsets, as the callee's code writes it).
struct ArrayCallFrame {
  int32_t stack_bytes = 0;  // outgoing stack arguments
  // What the wasm callee pops of them (abi::CalleePoppedBytes).
  int32_t popped_bytes = 0;
  // Each result's offset from the start of the return area (which is at
  // stack_bytes); empty without a return area.
  std::vector<int32_t> ret_offsets;
  int32_t ret_area_bytes = 0;
  int32_t size = 0;  // stack_bytes + ret_area_bytes, rounded up to 16
};
ArrayCallFrame ComputeArrayCallFrame(const wasm::FuncType& type,
                                     const Layout& layout);

// Publishes an assembled trampoline in executable memory.
absl::StatusOr<Trampoline> PublishTrampoline(asmjit::CodeHolder& code);

}  // namespace kiln::trampolines

#endif  // KILN_CODEGEN_TRAMPOLINES_LAYOUT_H_
