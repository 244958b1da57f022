#include "codegen/trampolines/trampolines.h"

#include <asmjit/x86.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/code/asmjit_code.h"

namespace kiln::trampolines {
namespace {

namespace ax = asmjit::x86;

// Where one argument of the native call goes.
struct ArgLoc {
  bool is_float = false;
  bool on_stack = false;
  int reg = 0;         // index into kIntRegs / xmm number
  int stack_slot = 0;  // 8-byte slot index from the outgoing rsp
};

const ax::Gp kIntRegs[] = {ax::rdi, ax::rsi, ax::rdx, ax::rcx, ax::r8, ax::r9};

bool IsFloat(wasm::ValType t) {
  return t == wasm::ValType::kF32 || t == wasm::ValType::kF64 ||
         t == wasm::ValType::kV128;
}

struct Layout {
  std::vector<ArgLoc> params;  // wasm params (after the 2 hidden args)
  bool has_ret_area = false;
  ArgLoc ret_area;
  int stack_slots = 0;
};

// With `v128` (array calls), v128 params travel in xmm registers and a
// single v128 result in xmm0; on the stack or in a return area they are
// not supported.
absl::StatusOr<Layout> ComputeLayout(const wasm::FuncType& type,
                                     bool v128 = false) {
  for (wasm::ValType t : type.params) {
    if (t == wasm::ValType::kV128 && !v128) {
      return absl::UnimplementedError("trampoline: v128 parameter");
    }
  }
  for (wasm::ValType t : type.results) {
    if (t == wasm::ValType::kV128 && (!v128 || type.results.size() > 1)) {
      return absl::UnimplementedError("trampoline: v128 result");
    }
  }
  Layout layout;
  int next_int = 2;  // rdi, rsi hold the hidden VMContext args
  int next_float = 0;
  auto assign = [&](bool is_float) {
    ArgLoc loc;
    loc.is_float = is_float;
    if (is_float ? next_float < 8 : next_int < 6) {
      loc.reg = is_float ? next_float++ : next_int++;
    } else {
      loc.on_stack = true;
      loc.stack_slot = layout.stack_slots++;
    }
    return loc;
  };
  for (wasm::ValType t : type.params) layout.params.push_back(assign(IsFloat(t)));
  for (size_t i = 0; i < type.params.size(); ++i) {
    if (type.params[i] == wasm::ValType::kV128 && layout.params[i].on_stack) {
      return absl::UnimplementedError("trampoline: v128 parameter on the stack");
    }
  }
  if (type.results.size() > 1) {
    layout.has_ret_area = true;
    layout.ret_area = assign(false);
  }
  return layout;
}

absl::StatusOr<Trampoline> Finish(asmjit::CodeHolder& code) {
  absl::StatusOr<std::unique_ptr<runtime::CodeMemory>> memory =
      runtime::PublishAsmjitCode(code);
  if (!memory.ok()) return memory.status();
  Trampoline t;
  t.entry = (*memory)->base();
  t.memory = *std::move(memory);
  return t;
}

}  // namespace

absl::StatusOr<Trampoline> CompileArrayCall(const wasm::FuncType& type) {
  absl::StatusOr<Layout> layout_or = ComputeLayout(type, /*v128=*/true);
  if (!layout_or.ok()) return layout_or.status();
  const Layout& layout = *layout_or;
  const int nres = static_cast<int>(type.results.size());
  const int32_t stack_bytes = 8 * layout.stack_slots;
  const int32_t ret_area_bytes = layout.has_ret_area ? 8 * nres : 0;
  const int32_t frame = (stack_bytes + ret_area_bytes + 15) & ~15;

  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  ax::Assembler a(&code);
  // rdi = code, rsi = callee vmctx, rdx = caller vmctx, rcx = values.
  a.push(ax::rbp);
  a.mov(ax::rbp, ax::rsp);
  a.push(ax::rbx);
  a.push(ax::r12);  // rsp is 16-byte aligned again
  a.mov(ax::rbx, ax::rcx);
  a.mov(ax::r12, ax::rdi);
  if (frame > 0) a.sub(ax::rsp, frame);
  a.mov(ax::rdi, ax::rsi);
  a.mov(ax::rsi, ax::rdx);
  for (size_t i = 0; i < type.params.size(); ++i) {
    const ArgLoc& loc = layout.params[i];
    const wasm::ValType t = type.params[i];
    ax::Mem src = ax::ptr(ax::rbx, static_cast<int32_t>(kValRawSize * i));
    if (loc.on_stack) {
      a.mov(ax::rax, src);
      a.mov(ax::qword_ptr(ax::rsp, 8 * loc.stack_slot), ax::rax);
    } else if (loc.is_float) {
      if (t == wasm::ValType::kF32) {
        a.movss(ax::xmm(loc.reg), src);
      } else if (t == wasm::ValType::kV128) {
        a.movdqu(ax::xmm(loc.reg), src);
      } else {
        a.movsd(ax::xmm(loc.reg), src);
      }
    } else if (t == wasm::ValType::kI32) {
      a.mov(kIntRegs[loc.reg].r32(), src);
    } else {
      a.mov(kIntRegs[loc.reg], src);
    }
  }
  if (layout.has_ret_area) {
    a.lea(ax::rax, ax::ptr(ax::rsp, stack_bytes));
    if (layout.ret_area.on_stack) {
      a.mov(ax::qword_ptr(ax::rsp, 8 * layout.ret_area.stack_slot), ax::rax);
    } else {
      a.mov(kIntRegs[layout.ret_area.reg], ax::rax);
    }
  }
  a.call(ax::r12);
  if (nres == 1) {
    const wasm::ValType t = type.results[0];
    if (t == wasm::ValType::kF32) {
      a.movss(ax::dword_ptr(ax::rbx), ax::xmm0);
    } else if (t == wasm::ValType::kV128) {
      a.movdqu(ax::xmmword_ptr(ax::rbx), ax::xmm0);
    } else if (t == wasm::ValType::kF64) {
      a.movsd(ax::qword_ptr(ax::rbx), ax::xmm0);
    } else if (t == wasm::ValType::kI32) {
      a.mov(ax::dword_ptr(ax::rbx), ax::eax);
    } else {
      a.mov(ax::qword_ptr(ax::rbx), ax::rax);
    }
  } else if (nres > 1) {
    for (int k = 0; k < nres; ++k) {
      a.mov(ax::rax, ax::qword_ptr(ax::rsp, stack_bytes + 8 * k));
      a.mov(ax::qword_ptr(ax::rbx, kValRawSize * k), ax::rax);
    }
  }
  a.lea(ax::rsp, ax::ptr(ax::rbp, -16));
  a.pop(ax::r12);
  a.pop(ax::rbx);
  a.pop(ax::rbp);
  a.ret();
  return Finish(code);
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

  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  ax::Assembler a(&code);
  a.push(ax::rbp);
  a.mov(ax::rbp, ax::rsp);
  a.sub(ax::rsp, frame);
  for (int i = 0; i < np; ++i) {
    const ArgLoc& loc = layout.params[i];
    ax::Mem dst = ax::qword_ptr(ax::rsp, kValRawSize * i);
    if (loc.on_stack) {
      a.mov(ax::rax, ax::qword_ptr(ax::rbp, 16 + 8 * loc.stack_slot));
      a.mov(dst, ax::rax);
    } else if (loc.is_float) {
      a.movsd(dst, ax::xmm(loc.reg));
    } else {
      a.mov(dst, kIntRegs[loc.reg]);
    }
  }
  if (layout.has_ret_area) {
    if (layout.ret_area.on_stack) {
      a.mov(ax::rax,
            ax::qword_ptr(ax::rbp, 16 + 8 * layout.ret_area.stack_slot));
    } else {
      a.mov(ax::rax, kIntRegs[layout.ret_area.reg]);
    }
    a.mov(ax::qword_ptr(ax::rsp, ret_ptr_off), ax::rax);
  }
  // rdi = host context, rsi = caller vmctx: unchanged.
  a.mov(ax::rdx, ax::rsp);
  a.mov(ax::rax, reinterpret_cast<uint64_t>(dispatch));
  a.call(ax::rax);
  if (nres == 1) {
    const wasm::ValType t = type.results[0];
    if (t == wasm::ValType::kF32) {
      a.movss(ax::xmm0, ax::dword_ptr(ax::rsp));
    } else if (t == wasm::ValType::kF64) {
      a.movsd(ax::xmm0, ax::qword_ptr(ax::rsp));
    } else {
      a.mov(ax::rax, ax::qword_ptr(ax::rsp));
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
  return Finish(code);
}

}  // namespace kiln::trampolines
