// AArch64 entry trampolines (contracts in runtime/traps/entry_trampolines.h).
// Argument registers come from abi::aarch64::CallConv; the frame every
// entry trampoline builds is:
//   [x29] caller x29, [x29 + 8] x30 (a frame record, like compiled code's),
//   [x29 - 160 ...] = entry_sp: x19..x28 at entry_sp + 0..72, d8..d15 at
//   entry_sp + 80..136 (AAPCS64 callee-saved: host frames unwound by a trap
//   may have changed them), the EntryFrame* at entry_sp + 144.
// Everything after the call is addressed from sp, so the trap landing (sp =
// entry_sp, any x29) restores the registers the same way a return does.
#include "runtime/traps/entry_trampolines.h"

// Debian's asmjit/arm.h does not pull AArch64 in on an x86 host.
#include <asmjit/arm/a64assembler.h>

#include <cstddef>
#include <memory>

#include "runtime/abi/aarch64/call_conv.h"
#include "runtime/code/asmjit_code.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/entry.h"

#if !defined(__aarch64__) || !defined(__linux__)
#error "aarch64/entry_trampolines_aarch64.cc is for AArch64 Linux"
#endif

namespace kiln::runtime::internal {
namespace {

namespace a64 = asmjit::a64;
using asmjit::Imm;
using Conv = abi::aarch64::CallConv;

constexpr int32_t kCallFn = offsetof(WasmCall, fn);
constexpr int32_t kCallArgs = offsetof(WasmCall, args);
constexpr int32_t kCallFloatArgs = offsetof(WasmCall, float_args);
constexpr int32_t kCallStackArgs = offsetof(WasmCall, stack_args);
constexpr int32_t kCallNumStackArgs = offsetof(WasmCall, num_stack_args);

constexpr int kNumGprs = sizeof(Conv::kCalleeSavedGprs);
constexpr int kNumFprs = sizeof(Conv::kCalleeSavedFprs);
constexpr int32_t kFprBase = 8 * kNumGprs;
constexpr int32_t kFrameSlot = kFprBase + 8 * kNumFprs;
// Bytes from x29 down to entry_sp.
constexpr int32_t kEntryFrameBytes = (kFrameSlot + 8 + 15) & ~15;
static_assert(kEntryFrameBytes == 160);

a64::Gp IntArg(int i) { return a64::x(Conv::kIntArgRegs[i]); }
a64::Gp IntRet(int i) { return a64::x(Conv::kIntRetRegs[i]); }

void EmitEntryPrologue(a64::Assembler& a, const a64::Gp& frame) {
  a.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -16));
  a.mov(a64::x29, a64::sp);
  a.sub(a64::sp, a64::sp, Imm(kEntryFrameBytes));
  for (int k = 0; k < kNumGprs; ++k) {
    a.str(a64::x(Conv::kCalleeSavedGprs[k]), a64::ptr(a64::sp, 8 * k));
  }
  for (int k = 0; k < kNumFprs; ++k) {
    a.str(a64::d(Conv::kCalleeSavedFprs[k]), a64::ptr(a64::sp, kFprBase + 8 * k));
  }
  a.str(frame, a64::ptr(a64::sp, kFrameSlot));
  a.mov(a64::x16, a64::sp);
  a.str(a64::x16, a64::ptr(frame, kEntryFrameEntrySp));
  a.str(a64::x29, a64::ptr(frame, kEntryFrameEntryFp));
}

// With sp = entry_sp.
void EmitEntryEpilogue(a64::Assembler& a) {
  for (int k = 0; k < kNumGprs; ++k) {
    a.ldr(a64::x(Conv::kCalleeSavedGprs[k]), a64::ptr(a64::sp, 8 * k));
  }
  for (int k = 0; k < kNumFprs; ++k) {
    a.ldr(a64::d(Conv::kCalleeSavedFprs[k]), a64::ptr(a64::sp, kFprBase + 8 * k));
  }
  a.add(a64::sp, a64::sp, Imm(kEntryFrameBytes));
  a.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 16));
  a.ret(a64::x30);
}

// R(void* a0, EntryFrame* frame, rest...): frame arrives in the second
// integer argument register, which the callee gets frame->arg1 in. Only
// x16/x17 are used, so every other argument register reaches the callee.
void EmitTypedEntry(a64::Assembler& a, uint32_t n) {
  const a64::Gp frame = IntArg(1);
  EmitEntryPrologue(a, frame);
  a.ldr(a64::x16, a64::ptr(frame, kEntryFrameCode));
  a.ldr(frame, a64::ptr(frame, kEntryFrameArg1));
  if (n > 0) {
    const uint32_t bytes = static_cast<uint32_t>((8 * uint64_t{n} + 15) & ~uint64_t{15});
    a.sub(a64::sp, a64::sp, Imm(bytes));
    for (uint32_t i = 0; i < n; ++i) {
      a.ldr(a64::x17, a64::ptr(a64::x29, static_cast<int32_t>(Conv::kFrameHeaderSize + 8 * i)));
      a.str(a64::x17, a64::ptr(a64::sp, static_cast<int32_t>(8 * i)));
    }
  }
  a.blr(a64::x16);
  a.sub(a64::sp, a64::x29, Imm(kEntryFrameBytes));
  EmitEntryEpilogue(a);
}

}  // namespace

absl::StatusOr<EntryTrampolines> GenerateEntryTrampolines() {
  using namespace asmjit;
  CodeHolder code;
  code.init(Environment::host());
  a64::Assembler a(&code);
  Label epilogue = a.newLabel();
  Label landing = a.newLabel();
  Label unwind = a.newLabel();
  Label copy_loop = a.newLabel();
  Label copy_done = a.newLabel();

  // --- enter(EntryFrame* frame, const WasmCall* call)
  EmitEntryPrologue(a, IntArg(0));
  a.mov(a64::x19, IntArg(0));  // EntryFrame*, callee-saved across the call
  a.mov(a64::x20, IntArg(1));  // WasmCall*
  // Stack arguments: reserve 16-byte aligned space and copy them.
  a.ldr(a64::x9, a64::ptr(a64::x20, kCallNumStackArgs));
  a.lsl(a64::x10, a64::x9, Imm(3));
  a.add(a64::x10, a64::x10, Imm(15));
  a.and_(a64::x10, a64::x10, Imm(~uint64_t{15}));
  a.mov(a64::x11, a64::sp);
  a.sub(a64::x11, a64::x11, a64::x10);
  a.mov(a64::sp, a64::x11);
  a.ldr(a64::x12, a64::ptr(a64::x20, kCallStackArgs));
  a.bind(copy_loop);
  a.cbz(a64::x9, copy_done);
  a.ldr(a64::x13, a64::ptr_post(a64::x12, 8));
  a.str(a64::x13, a64::ptr_post(a64::x11, 8));
  a.sub(a64::x9, a64::x9, Imm(1));
  a.b(copy_loop);
  a.bind(copy_done);
  // Register arguments.
  for (int i = 0; i < Conv::kNumFloatArgRegs; ++i) {
    a.ldr(a64::d(Conv::kFloatArgRegs[i]), a64::ptr(a64::x20, kCallFloatArgs + 8 * i));
  }
  a.ldr(a64::x16, a64::ptr(a64::x20, kCallFn));
  for (int i = 0; i < Conv::kNumIntArgRegs; ++i) {
    a.ldr(IntArg(i), a64::ptr(a64::x20, kCallArgs + 8 * i));
  }
  a.blr(a64::x16);
  a.str(IntRet(0), a64::ptr(a64::x19, kEntryFrameRetInt0));
  a.str(IntRet(1), a64::ptr(a64::x19, kEntryFrameRetInt1));
  a.str(a64::v(Conv::kFloatRetRegs[0]), a64::ptr(a64::x19, kEntryFrameRetVec0));
  a.mov(a64::w0, Imm(1));
  a.sub(a64::sp, a64::x29, Imm(kEntryFrameBytes));  // drop stack args
  a.bind(epilogue);                                  // sp = entry_sp
  EmitEntryEpilogue(a);

  // --- trap landing: entered with sp = EntryFrame::entry_sp.
  a.align(AlignMode::kCode, 16);
  a.bind(landing);
  a.mov(a64::w0, Imm(0));
  a.b(epilogue);

  // --- unwind(entry_sp)
  a.align(AlignMode::kCode, 16);
  a.bind(unwind);
  a.mov(a64::sp, IntArg(0));
  a.b(landing);

  // --- typed entry, no stack arguments.
  a.align(AlignMode::kCode, 16);
  Label typed0 = a.newLabel();
  a.bind(typed0);
  EmitTypedEntry(a, 0);

  auto memory = PublishAsmjitCode(code);
  if (!memory.ok()) return memory.status();
  EntryTrampolines t;
  const uintptr_t base = (*memory)->start();
  t.enter = reinterpret_cast<EnterFn>(base);
  t.landing = base + code.labelOffsetFromBase(landing);
  t.unwind = reinterpret_cast<UnwindFn>(base + code.labelOffsetFromBase(unwind));
  t.typed0 = reinterpret_cast<const void*>(base + code.labelOffsetFromBase(typed0));
  t.code = *std::move(memory);
  return t;
}

absl::StatusOr<std::unique_ptr<CodeMemory>> GenerateTypedEntryTrampoline(
    uint32_t num_stack_slots) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  a64::Assembler a(&code);
  EmitTypedEntry(a, num_stack_slots);
  return PublishAsmjitCode(code);
}

}  // namespace kiln::runtime::internal
