// x86-64 array-call and wasm-to-host trampolines (contracts in
// codegen/trampolines/trampolines.h). Argument placement comes from
// ComputeLayout (abi::ArgPlacer over abi::x64::CallConv); this file owns
// only the instructions.
#include <asmjit/x86.h>

#include <algorithm>
#include <memory>

#include "codegen/trampolines/layout.h"
#include "codegen/trampolines/trampolines.h"
#include "runtime/abi/call_conv.h"
#include "runtime/abi/x64/call_conv.h"
#include "runtime/code/asmjit_code.h"

namespace kiln::trampolines {
namespace {

namespace ax = asmjit::x86;
using Conv = abi::x64::CallConv;

ax::Gp IntArg(int i) { return ax::gpq(Conv::kIntArgRegs[i]); }
ax::Xmm FloatArg(int i) { return ax::xmm(Conv::kFloatArgRegs[i]); }
ax::Gp IntRet() { return ax::gpq(Conv::kIntRetRegs[0]); }
ax::Xmm FloatRet() { return ax::xmm(Conv::kFloatRetRegs[0]); }

}  // namespace

absl::StatusOr<Trampoline> CompileArrayCall(const wasm::FuncType& type) {
  absl::StatusOr<Layout> layout_or = ComputeLayout(type, /*v128=*/true);
  if (!layout_or.ok()) return layout_or.status();
  const Layout& layout = *layout_or;
  const int nres = static_cast<int>(type.results.size());
  const ArrayCallFrame af = ComputeArrayCallFrame(type, layout);
  const int32_t stack_bytes = af.stack_bytes;
  const std::vector<int32_t>& ret_offsets = af.ret_offsets;
  const int32_t frame = af.size;

  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  ax::Assembler a(&code);
  // ArrayCall(code, callee vmctx, caller vmctx, values): C arguments 0-3.
  const ax::Gp values = ax::rbx;
  const ax::Gp target = ax::r12;
  a.push(ax::rbp);
  a.mov(ax::rbp, ax::rsp);
  a.push(values);
  a.push(target);  // rsp is 16-byte aligned again
  a.mov(values, IntArg(3));
  a.mov(target, IntArg(0));
  if (frame > 0) a.sub(ax::rsp, frame);
  a.mov(IntArg(0), IntArg(1));
  a.mov(IntArg(1), IntArg(2));
  for (size_t i = 0; i < type.params.size(); ++i) {
    const abi::ArgSlot& loc = layout.params[i];
    const wasm::ValType t = type.params[i];
    ax::Mem src = ax::ptr(values, static_cast<int32_t>(kValRawSize * i));
    if (!loc.in_reg) {
      a.mov(ax::rax, src);
      a.mov(ax::qword_ptr(ax::rsp, Conv::kStackSlotSize * loc.stack_slot),
            ax::rax);
    } else if (loc.is_float) {
      if (t == wasm::ValType::kF32) {
        a.movss(FloatArg(loc.reg), src);
      } else if (t == wasm::ValType::kV128) {
        a.movdqu(FloatArg(loc.reg), src);
      } else {
        a.movsd(FloatArg(loc.reg), src);
      }
    } else if (t == wasm::ValType::kI32) {
      a.mov(IntArg(loc.reg).r32(), src);
    } else {
      a.mov(IntArg(loc.reg), src);
    }
  }
  if (layout.has_ret_area) {
    a.lea(ax::rax, ax::ptr(ax::rsp, stack_bytes));
    if (!layout.ret_area.in_reg) {
      a.mov(ax::qword_ptr(ax::rsp,
                          Conv::kStackSlotSize * layout.ret_area.stack_slot),
            ax::rax);
    } else {
      a.mov(IntArg(layout.ret_area.reg), ax::rax);
    }
  }
  a.call(target);
  if (nres == 1) {
    const wasm::ValType t = type.results[0];
    if (t == wasm::ValType::kF32) {
      a.movss(ax::dword_ptr(values), FloatRet());
    } else if (t == wasm::ValType::kV128) {
      a.movdqu(ax::xmmword_ptr(values), FloatRet());
    } else if (t == wasm::ValType::kF64) {
      a.movsd(ax::qword_ptr(values), FloatRet());
    } else if (t == wasm::ValType::kI32) {
      a.mov(ax::dword_ptr(values), IntRet().r32());
    } else {
      a.mov(ax::qword_ptr(values), IntRet());
    }
  } else if (nres > 1) {
    for (int k = 0; k < nres; ++k) {
      const int32_t from = stack_bytes + ret_offsets[k];
      if (type.results[k] == wasm::ValType::kV128) {
        a.movdqu(ax::xmm0, ax::xmmword_ptr(ax::rsp, from));
        a.movdqu(ax::xmmword_ptr(values, kValRawSize * k), ax::xmm0);
      } else {
        a.mov(ax::rax, ax::qword_ptr(ax::rsp, from));
        a.mov(ax::qword_ptr(values, kValRawSize * k), ax::rax);
      }
    }
  }
  a.lea(ax::rsp, ax::ptr(ax::rbp, -16));
  a.pop(target);
  a.pop(values);
  a.pop(ax::rbp);
  a.ret();
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
  auto incoming_slot = [](uint32_t slot) {
    return ax::qword_ptr(ax::rbp, static_cast<int32_t>(
                                      Conv::kFrameHeaderSize +
                                      Conv::kStackSlotSize * slot));
  };

  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  ax::Assembler a(&code);
  a.push(ax::rbp);
  a.mov(ax::rbp, ax::rsp);
  a.sub(ax::rsp, frame);
  for (int i = 0; i < np; ++i) {
    const abi::ArgSlot& loc = layout.params[i];
    ax::Mem dst = ax::qword_ptr(ax::rsp, kValRawSize * i);
    if (!loc.in_reg) {
      a.mov(ax::rax, incoming_slot(loc.stack_slot));
      a.mov(dst, ax::rax);
    } else if (loc.is_float) {
      a.movsd(dst, FloatArg(loc.reg));
    } else {
      a.mov(dst, IntArg(loc.reg));
    }
  }
  if (layout.has_ret_area) {
    if (!layout.ret_area.in_reg) {
      a.mov(ax::rax, incoming_slot(layout.ret_area.stack_slot));
    } else {
      a.mov(ax::rax, IntArg(layout.ret_area.reg));
    }
    a.mov(ax::qword_ptr(ax::rsp, ret_ptr_off), ax::rax);
  }
  // dispatch(host context, caller vmctx, values): the first two arguments
  // are still in place.
  a.mov(IntArg(2), ax::rsp);
  a.mov(ax::rax, reinterpret_cast<uint64_t>(dispatch));
  a.call(ax::rax);
  if (nres == 1) {
    const wasm::ValType t = type.results[0];
    if (t == wasm::ValType::kF32) {
      a.movss(FloatRet(), ax::dword_ptr(ax::rsp));
    } else if (t == wasm::ValType::kF64) {
      a.movsd(FloatRet(), ax::qword_ptr(ax::rsp));
    } else {
      a.mov(IntRet(), ax::qword_ptr(ax::rsp));
    }
  } else if (nres > 1) {
    a.mov(ax::rcx, ax::qword_ptr(ax::rsp, ret_ptr_off));
    for (int k = 0; k < nres; ++k) {
      a.mov(ax::rax, ax::qword_ptr(ax::rsp, kValRawSize * k));
      a.mov(ax::qword_ptr(ax::rcx, 8 * k), ax::rax);
    }
  }
  a.leave();
  a.ret();
  return PublishTrampoline(code);
}

}  // namespace kiln::trampolines
