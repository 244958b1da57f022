// AArch64 array-call and wasm-to-host trampolines (contracts in
// codegen/trampolines/trampolines.h). Argument placement comes from
// ComputeLayout (abi::ArgPlacer over abi::aarch64::CallConv); this file
// owns only the instructions. Both keep an x29/x30 frame record.
// Debian's asmjit/arm.h does not pull AArch64 in on an x86 host.
#include <asmjit/arm/a64assembler.h>

#include <algorithm>
#include <memory>

#include "codegen/trampolines/layout.h"
#include "codegen/trampolines/trampolines.h"
#include "runtime/abi/aarch64/call_conv.h"
#include "runtime/code/asmjit_code.h"

namespace kiln::trampolines {
namespace {

namespace a64 = asmjit::a64;
using asmjit::Imm;
using Conv = abi::aarch64::CallConv;

a64::GpX IntArg(int i) { return a64::x(Conv::kIntArgRegs[i]); }
int FloatArg(int i) { return Conv::kFloatArgRegs[i]; }
a64::GpX IntRet() { return a64::x(Conv::kIntRetRegs[0]); }
int FloatRet() { return Conv::kFloatRetRegs[0]; }

}  // namespace

absl::StatusOr<Trampoline> CompileArrayCall(const wasm::FuncType& type) {
  absl::StatusOr<Layout> layout_or = ComputeLayout(type, /*v128=*/true);
  if (!layout_or.ok()) return layout_or.status();
  const Layout& layout = *layout_or;
  const int nres = static_cast<int>(type.results.size());
  const ArrayCallFrame af = ComputeArrayCallFrame(type, layout);
  const int32_t stack_bytes = af.stack_bytes;
  const int32_t frame = af.size;
  if (frame >= 4096) {
    return absl::UnimplementedError("aarch64 array-call trampoline: too many arguments");
  }

  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  a64::Assembler a(&code);
  // ArrayCall(code, callee vmctx, caller vmctx, values): C arguments 0-3.
  const a64::GpX values = a64::x19;
  const a64::GpX target = a64::x20;
  a.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -32));
  a.mov(a64::x29, a64::sp);
  a.stp(values, target, a64::ptr(a64::sp, 16));
  a.mov(values, IntArg(3));
  a.mov(target, IntArg(0));
  if (frame > 0) a.sub(a64::sp, a64::sp, Imm(frame));
  a.mov(IntArg(0), IntArg(1));
  a.mov(IntArg(1), IntArg(2));
  for (size_t i = 0; i < type.params.size(); ++i) {
    const abi::ArgSlot& loc = layout.params[i];
    const wasm::ValType t = type.params[i];
    a64::Mem src = a64::ptr(values, static_cast<int32_t>(kValRawSize * i));
    if (!loc.in_reg) {
      a.ldr(a64::x16, src);
      a.str(a64::x16, a64::ptr(a64::sp, Conv::kStackSlotSize * loc.stack_slot));
    } else if (loc.is_float) {
      if (t == wasm::ValType::kF32) {
        a.ldr(a64::s(FloatArg(loc.reg)), src);
      } else if (t == wasm::ValType::kV128) {
        a.ldr(a64::v(FloatArg(loc.reg)), src);
      } else {
        a.ldr(a64::d(FloatArg(loc.reg)), src);
      }
    } else if (t == wasm::ValType::kI32) {
      a.ldr(a64::w(Conv::kIntArgRegs[loc.reg]), src);
    } else {
      a.ldr(IntArg(loc.reg), src);
    }
  }
  if (layout.has_ret_area) {
    a.add(a64::x16, a64::sp, Imm(stack_bytes));
    if (!layout.ret_area.in_reg) {
      a.str(a64::x16, a64::ptr(a64::sp, Conv::kStackSlotSize * layout.ret_area.stack_slot));
    } else {
      a.mov(IntArg(layout.ret_area.reg), a64::x16);
    }
  }
  a.blr(target);
  if (nres == 1) {
    const wasm::ValType t = type.results[0];
    if (t == wasm::ValType::kF32) {
      a.str(a64::s(FloatRet()), a64::ptr(values));
    } else if (t == wasm::ValType::kV128) {
      a.str(a64::v(FloatRet()), a64::ptr(values));
    } else if (t == wasm::ValType::kF64) {
      a.str(a64::d(FloatRet()), a64::ptr(values));
    } else if (t == wasm::ValType::kI32) {
      a.str(a64::w(Conv::kIntRetRegs[0]), a64::ptr(values));
    } else {
      a.str(IntRet(), a64::ptr(values));
    }
  } else if (nres > 1) {
    for (int k = 0; k < nres; ++k) {
      const a64::Mem from = a64::ptr(a64::sp, stack_bytes + af.ret_offsets[k]);
      const a64::Mem to = a64::ptr(values, static_cast<int32_t>(kValRawSize * k));
      if (type.results[k] == wasm::ValType::kV128) {
        a.ldr(a64::v(16), from);
        a.str(a64::v(16), to);
      } else {
        a.ldr(a64::x16, from);
        a.str(a64::x16, to);
      }
    }
  }
  a.mov(a64::sp, a64::x29);
  a.ldp(values, target, a64::ptr(a64::sp, 16));
  a.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 32));
  a.ret(a64::x30);
  return PublishTrampoline(code);
}

absl::StatusOr<Trampoline> CompileWasmToHost(const wasm::FuncType& type,
                                             HostDispatchFn dispatch) {
  absl::StatusOr<Layout> layout_or = ComputeLayout(type);
  if (!layout_or.ok()) return layout_or.status();
  const Layout& layout = *layout_or;
  const int np = static_cast<int>(type.params.size());
  const int nres = static_cast<int>(type.results.size());
  const int32_t values_bytes = kValRawSize * std::max(np, std::max(nres, 1));
  const int32_t ret_ptr_off = values_bytes;
  const int32_t frame = (values_bytes + 8 + 15) & ~15;
  if (frame >= 4096) {
    return absl::UnimplementedError("aarch64 wasm-to-host trampoline: too many parameters");
  }
  auto incoming_slot = [](uint32_t slot) {
    return a64::ptr(a64::x29, static_cast<int32_t>(Conv::kFrameHeaderSize +
                                                   Conv::kStackSlotSize * slot));
  };

  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  a64::Assembler a(&code);
  a.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -16));
  a.mov(a64::x29, a64::sp);
  a.sub(a64::sp, a64::sp, Imm(frame));
  for (int i = 0; i < np; ++i) {
    const abi::ArgSlot& loc = layout.params[i];
    a64::Mem dst = a64::ptr(a64::sp, static_cast<int32_t>(kValRawSize * i));
    if (!loc.in_reg) {
      a.ldr(a64::x16, incoming_slot(loc.stack_slot));
      a.str(a64::x16, dst);
    } else if (loc.is_float) {
      a.str(a64::d(FloatArg(loc.reg)), dst);
    } else {
      a.str(IntArg(loc.reg), dst);
    }
  }
  if (layout.has_ret_area) {
    if (!layout.ret_area.in_reg) {
      a.ldr(a64::x16, incoming_slot(layout.ret_area.stack_slot));
    } else {
      a.mov(a64::x16, IntArg(layout.ret_area.reg));
    }
    a.str(a64::x16, a64::ptr(a64::sp, ret_ptr_off));
  }
  // dispatch(host context, caller vmctx, values): the first two arguments
  // are still in place.
  a.mov(IntArg(2), a64::sp);
  const uint64_t fn = reinterpret_cast<uint64_t>(dispatch);
  a.movz(a64::x16, Imm(fn & 0xffff));
  for (int k = 1; k < 4; ++k) {
    a.movk(a64::x16, Imm((fn >> (16 * k)) & 0xffff), Imm(16 * k));
  }
  a.blr(a64::x16);
  if (nres == 1) {
    const wasm::ValType t = type.results[0];
    if (t == wasm::ValType::kF32) {
      a.ldr(a64::s(FloatRet()), a64::ptr(a64::sp));
    } else if (t == wasm::ValType::kF64) {
      a.ldr(a64::d(FloatRet()), a64::ptr(a64::sp));
    } else {
      a.ldr(IntRet(), a64::ptr(a64::sp));
    }
  } else if (nres > 1) {
    a.ldr(a64::x17, a64::ptr(a64::sp, ret_ptr_off));
    for (int k = 0; k < nres; ++k) {
      a.ldr(a64::x16, a64::ptr(a64::sp, static_cast<int32_t>(kValRawSize * k)));
      a.str(a64::x16, a64::ptr(a64::x17, 8 * k));
    }
  }
  a.mov(a64::sp, a64::x29);
  a.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 16));
  a.ret(a64::x30);
  return PublishTrampoline(code);
}

}  // namespace kiln::trampolines
