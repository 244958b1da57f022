// The array-call and wasm-to-host trampolines for every ISA: placement
// from ComputeLayout / ComputeArrayCallFrame (abi::ArgPlacer over the host
// CallConv), each step encoded by the ISA's Emitter (emitter.h).
#include "codegen/trampolines/trampolines.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/trampolines/emitter.h"
#include "codegen/trampolines/layout.h"
#include "runtime/abi/call_conv.h"

namespace kiln::trampolines {
namespace {

using Conv = abi::HostCallConv;
using wasm::ValType;

// The register a single result of type `t` comes back in.
uint8_t ResultReg(ValType t) {
  return IsFloatClass(t) ? Conv::kFloatRetRegs[0] : Conv::kIntRetRegs[0];
}

absl::Status CheckFrame(const Emitter& e, int32_t bytes, const char* what) {
  if (bytes <= e.max_frame_bytes()) return absl::OkStatus();
  return absl::UnimplementedError(
      absl::StrCat(what, " trampoline: a ", bytes, "-byte frame"));
}

}  // namespace

absl::StatusOr<Trampoline> CompileArrayCall(const wasm::FuncType& type) {
  absl::StatusOr<Layout> layout_or = ComputeLayout(type, /*v128=*/true);
  if (!layout_or.ok()) return layout_or.status();
  const Layout& layout = *layout_or;
  const int nres = static_cast<int>(type.results.size());
  const ArrayCallFrame af = ComputeArrayCallFrame(type, layout);
  std::unique_ptr<Emitter> emitter = NewEmitter();
  Emitter& e = *emitter;
  if (absl::Status s = CheckFrame(e, af.size, "array-call"); !s.ok()) return s;
  const Emitter::Regs r = e.regs();

  // ArrayCall(code, callee vmctx, caller vmctx, values): C arguments 0-3.
  e.EmitArrayCallPrologue();
  e.EmitMove(r.values, Conv::kIntArgRegs[3]);
  e.EmitMove(r.target, Conv::kIntArgRegs[0]);
  if (af.size > 0) e.EmitAllocStack(af.size);
  e.EmitMove(Conv::kIntArgRegs[0], Conv::kIntArgRegs[1]);
  e.EmitMove(Conv::kIntArgRegs[1], Conv::kIntArgRegs[2]);
  for (size_t i = 0; i < type.params.size(); ++i) {
    const abi::ArgSlot& loc = layout.params[i];
    const ValType t = type.params[i];
    const int32_t src = static_cast<int32_t>(kValRawSize * i);
    if (!loc.in_reg) {
      e.EmitLoad(ValType::kI64, r.scratch, r.values, src);
      e.EmitStore(ValType::kI64, r.scratch, Conv::kStackPointer,
                  Conv::kStackSlotSize * loc.stack_slot);
    } else {
      e.EmitLoad(t,
                 loc.is_float ? Conv::kFloatArgRegs[loc.reg]
                              : Conv::kIntArgRegs[loc.reg],
                 r.values, src);
    }
  }
  if (layout.has_ret_area) {
    e.EmitStackAddress(r.scratch, af.stack_bytes);
    if (!layout.ret_area.in_reg) {
      e.EmitStore(ValType::kI64, r.scratch, Conv::kStackPointer,
                  Conv::kStackSlotSize * layout.ret_area.stack_slot);
    } else {
      e.EmitMove(Conv::kIntArgRegs[layout.ret_area.reg], r.scratch);
    }
  }
  e.EmitCallRegister(r.target);
  // A callee that popped its stack arguments: sp back to the frame.
  if (af.popped_bytes > 0) e.EmitAllocStack(af.popped_bytes);
  if (nres == 1) {
    const ValType t = type.results[0];
    e.EmitStore(t, ResultReg(t), r.values, 0);
  } else if (nres > 1) {
    for (int k = 0; k < nres; ++k) {
      const int32_t from = af.stack_bytes + af.ret_offsets[k];
      const int32_t to = static_cast<int32_t>(kValRawSize * k);
      const bool v128 = type.results[k] == ValType::kV128;
      const ValType t = v128 ? ValType::kV128 : ValType::kI64;
      const uint8_t reg = v128 ? r.scratch_vec : r.scratch;
      e.EmitLoad(t, reg, Conv::kStackPointer, from);
      e.EmitStore(t, reg, r.values, to);
    }
  }
  e.EmitArrayCallEpilogue();
  return PublishTrampoline(e.code());
}

absl::StatusOr<Trampoline> CompileWasmToHost(const wasm::FuncType& type,
                                             HostDispatchFn dispatch) {
  absl::StatusOr<Layout> layout_or = ComputeLayout(type);
  if (!layout_or.ok()) return layout_or.status();
  const Layout& layout = *layout_or;
  const int np = static_cast<int>(type.params.size());
  const int nres = static_cast<int>(type.results.size());
  // The ValRaw array at sp, the return-area pointer after it.
  const int32_t values_bytes = kValRawSize * std::max(np, std::max(nres, 1));
  const int32_t ret_ptr_off = values_bytes;
  const int32_t frame = (values_bytes + 8 + 15) & ~15;
  std::unique_ptr<Emitter> emitter = NewEmitter();
  Emitter& e = *emitter;
  if (absl::Status s = CheckFrame(e, frame, "wasm-to-host"); !s.ok()) return s;
  const Emitter::Regs r = e.regs();
  auto incoming_slot = [](uint32_t slot) {
    return static_cast<int32_t>(Conv::kFrameHeaderSize +
                                Conv::kStackSlotSize * slot);
  };

  e.EmitFrameRecord();
  e.EmitAllocStack(frame);
  for (int i = 0; i < np; ++i) {
    const abi::ArgSlot& loc = layout.params[i];
    const int32_t dst = static_cast<int32_t>(kValRawSize * i);
    if (!loc.in_reg) {
      e.EmitLoad(ValType::kI64, r.scratch, Conv::kFramePointer,
                 incoming_slot(loc.stack_slot));
      e.EmitStore(ValType::kI64, r.scratch, Conv::kStackPointer, dst);
    } else if (loc.is_float) {
      e.EmitStore(ValType::kF64, Conv::kFloatArgRegs[loc.reg],
                  Conv::kStackPointer, dst);
    } else {
      e.EmitStore(ValType::kI64, Conv::kIntArgRegs[loc.reg],
                  Conv::kStackPointer, dst);
    }
  }
  if (layout.has_ret_area) {
    if (!layout.ret_area.in_reg) {
      e.EmitLoad(ValType::kI64, r.scratch, Conv::kFramePointer,
                 incoming_slot(layout.ret_area.stack_slot));
    } else {
      e.EmitMove(r.scratch, Conv::kIntArgRegs[layout.ret_area.reg]);
    }
    e.EmitStore(ValType::kI64, r.scratch, Conv::kStackPointer, ret_ptr_off);
  }
  // dispatch(host context, caller vmctx, values): the first two arguments
  // are still in place.
  e.EmitMove(Conv::kIntArgRegs[2], Conv::kStackPointer);
  e.EmitCallAbsolute(reinterpret_cast<uint64_t>(dispatch));
  if (nres == 1) {
    const ValType t = type.results[0];
    const ValType machine =
        t == ValType::kF32 || t == ValType::kF64 ? t : ValType::kI64;
    e.EmitLoad(machine, ResultReg(t), Conv::kStackPointer, 0);
  } else if (nres > 1) {
    e.EmitLoad(ValType::kI64, r.scratch2, Conv::kStackPointer, ret_ptr_off);
    for (int k = 0; k < nres; ++k) {
      e.EmitLoad(ValType::kI64, r.scratch, Conv::kStackPointer,
                 static_cast<int32_t>(kValRawSize * k));
      e.EmitStore(ValType::kI64, r.scratch, r.scratch2, 8 * k);
    }
  }
  // Called as a wasm function: pop the stack arguments as one does.
  e.EmitFrameRecordEpilogue(abi::CalleePoppedBytes<Conv>(
      static_cast<uint32_t>(layout.stack_slots)));
  return PublishTrampoline(e.code());
}

}  // namespace kiln::trampolines
