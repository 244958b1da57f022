#include "codegen/trampolines/layout.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "runtime/code/asmjit_code.h"

namespace kiln::trampolines {

bool IsFloatClass(wasm::ValType t) {
  return t == wasm::ValType::kF32 || t == wasm::ValType::kF64 ||
         t == wasm::ValType::kV128;
}

absl::StatusOr<Layout> ComputeLayout(const wasm::FuncType& type, bool v128) {
  for (wasm::ValType t : type.params) {
    if (t == wasm::ValType::kV128 && !v128) {
      return absl::UnimplementedError("trampoline: v128 parameter");
    }
  }
  for (wasm::ValType t : type.results) {
    if (t == wasm::ValType::kV128 && !v128) {
      return absl::UnimplementedError("trampoline: v128 result");
    }
  }
  Layout layout;
  abi::ArgPlacer<abi::HostCallConv> placer;
  for (int i = 0; i < abi::kNumHiddenArgs; ++i) placer.Next(false);
  for (wasm::ValType t : type.params) {
    layout.params.push_back(placer.Next(IsFloatClass(t)));
  }
  for (size_t i = 0; i < type.params.size(); ++i) {
    if (type.params[i] == wasm::ValType::kV128 && !layout.params[i].in_reg) {
      return absl::UnimplementedError(
          "trampoline: v128 parameter on the stack");
    }
  }
  if (type.results.size() > 1) {
    layout.has_ret_area = true;
    layout.ret_area = placer.Next(false);
  }
  layout.stack_slots = static_cast<int>(placer.stack_slots());
  return layout;
}

ArrayCallFrame ComputeArrayCallFrame(const wasm::FuncType& type,
                                     const Layout& layout) {
  ArrayCallFrame f;
  f.popped_bytes = abi::CalleePoppedBytes<abi::HostCallConv>(
      static_cast<uint32_t>(layout.stack_slots));
  // The return area stays above what the callee pops.
  f.stack_bytes = std::max(
      abi::HostCallConv::kStackSlotSize * layout.stack_slots, f.popped_bytes);
  if (layout.has_ret_area) {
    f.ret_offsets = abi::ReturnAreaOffsets(
        type.results,
        [](wasm::ValType t) { return t == wasm::ValType::kV128; },
        &f.ret_area_bytes);
  }
  f.size = (f.stack_bytes + f.ret_area_bytes + 15) & ~15;
  return f;
}

absl::StatusOr<Trampoline> PublishTrampoline(asmjit::CodeHolder& code) {
  absl::StatusOr<std::unique_ptr<runtime::CodeMemory>> memory =
      runtime::PublishAsmjitCode(code);
  if (!memory.ok()) return memory.status();
  Trampoline t;
  t.entry = (*memory)->base();
  t.memory = *std::move(memory);
  return t;
}

}  // namespace kiln::trampolines
