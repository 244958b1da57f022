#include "codegen/trampolines/layout.h"

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

}  // namespace kiln::trampolines
