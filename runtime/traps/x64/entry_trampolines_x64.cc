// x86-64 entry trampolines (contracts in runtime/traps/entry_trampolines.h). Argument
// registers come from abi::x64::CallConv; the frame every entry trampoline
// builds is:
//   [rbp] caller rbp, rbp-8..-40 the callee-saved rbx r12 r13 r14 r15,
//   rbp-48 the EntryFrame*; entry_sp = rbp - 48 (16-byte aligned).
#include "runtime/traps/entry_trampolines.h"

#include <asmjit/x86.h>

#include <cstddef>
#include <memory>

#include "runtime/abi/x64/call_conv.h"
#include "runtime/code/asmjit_code.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/entry.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "x64/entry_trampolines_x64.cc is for x86-64 Linux"
#endif

namespace kiln::runtime::internal {
namespace {

namespace ax = asmjit::x86;
using Conv = abi::x64::CallConv;

// WasmCall fields enter reads and writes.
constexpr int32_t kCallFn = offsetof(WasmCall, fn);
constexpr int32_t kCallArgs = offsetof(WasmCall, args);
constexpr int32_t kCallFloatArgs = offsetof(WasmCall, float_args);
constexpr int32_t kCallStackArgs = offsetof(WasmCall, stack_args);
constexpr int32_t kCallNumStackArgs = offsetof(WasmCall, num_stack_args);

ax::Gp IntArg(int i) { return ax::gpq(Conv::kIntArgRegs[i]); }
ax::Gp IntRet(int i) { return ax::gpq(Conv::kIntRetRegs[i]); }
ax::Xmm FloatArg(int i) { return ax::xmm(Conv::kFloatArgRegs[i]); }

// Bytes from rbp down to entry_sp: the callee-saved registers and the
// EntryFrame*.
constexpr int32_t kEntryFrameBytes =
    8 * (static_cast<int32_t>(sizeof(Conv::kCalleeSavedGprs)) + 1);
static_assert(kEntryFrameBytes % 16 == 0);

void EmitEntryPrologue(ax::Assembler& a, const ax::Gp& frame) {
  a.push(ax::rbp);
  a.mov(ax::rbp, ax::rsp);
  for (uint8_t r : Conv::kCalleeSavedGprs) a.push(ax::gpq(r));
  a.push(frame);
  a.mov(ax::ptr(frame, kEntryFrameEntrySp), ax::rsp);
  a.mov(ax::ptr(frame, kEntryFrameEntryFp), ax::rbp);
}

void EmitEntryEpilogue(ax::Assembler& a) {
  a.add(ax::rsp, 8);  // rsp = entry_sp on the way in
  for (int i = static_cast<int>(sizeof(Conv::kCalleeSavedGprs)) - 1; i >= 0;
       --i) {
    a.pop(ax::gpq(Conv::kCalleeSavedGprs[i]));
  }
  a.pop(ax::rbp);
  a.ret();
}

// R(void* a0, EntryFrame* frame, rest...): frame arrives in the second
// integer argument register, which the callee gets frame->arg1 in.
void EmitTypedEntry(ax::Assembler& a, uint32_t n) {
  const ax::Gp frame = IntArg(1);
  EmitEntryPrologue(a, frame);
  a.mov(ax::rax, ax::ptr(frame, kEntryFrameCode));
  a.mov(frame, ax::ptr(frame, kEntryFrameArg1));
  if (n > 0) {
    const int32_t bytes =
        static_cast<int32_t>((8 * uint64_t{n} + 15) & ~uint64_t{15});
    a.sub(ax::rsp, bytes);
    for (uint32_t i = 0; i < n; ++i) {
      a.mov(ax::r11, ax::ptr(ax::rbp, static_cast<int32_t>(
                                          Conv::kFrameHeaderSize + 8 * i)));
      a.mov(ax::ptr(ax::rsp, static_cast<int32_t>(8 * i)), ax::r11);
    }
  }
  a.call(ax::rax);
  if (n > 0) a.lea(ax::rsp, ax::ptr(ax::rbp, -kEntryFrameBytes));
  EmitEntryEpilogue(a);
}

}  // namespace

absl::StatusOr<EntryTrampolines> GenerateEntryTrampolines() {
  using namespace asmjit;
  CodeHolder code;
  code.init(Environment::host());
  ax::Assembler a(&code);
  Label epilogue = a.newLabel();
  Label landing = a.newLabel();
  Label unwind = a.newLabel();
  Label copy_loop = a.newLabel();
  Label copy_done = a.newLabel();

  // --- enter(EntryFrame* frame, const WasmCall* call)
  EmitEntryPrologue(a, IntArg(0));
  a.mov(ax::r13, IntArg(0));  // EntryFrame*, callee-saved across the call
  a.mov(ax::r12, IntArg(1));  // WasmCall*
  // Stack arguments: reserve 16-byte aligned space and copy them.
  a.mov(ax::rcx, ax::ptr(ax::r12, kCallNumStackArgs));
  a.lea(ax::rax, ax::ptr(ax::rcx, ax::rcx, 0));  // rax = round_up(8 * n, 16)
  a.shl(ax::rax, 2);
  a.add(ax::rax, 15);
  a.and_(ax::rax, -16);
  a.sub(ax::rsp, ax::rax);
  a.mov(ax::rsi, ax::ptr(ax::r12, kCallStackArgs));
  a.xor_(ax::eax, ax::eax);
  a.bind(copy_loop);
  a.cmp(ax::rax, ax::rcx);
  a.jae(copy_done);
  a.mov(ax::rdx, ax::ptr(ax::rsi, ax::rax, 3));
  a.mov(ax::ptr(ax::rsp, ax::rax, 3), ax::rdx);
  a.inc(ax::rax);
  a.jmp(copy_loop);
  a.bind(copy_done);
  // Register arguments.
  for (int i = 0; i < Conv::kNumFloatArgRegs; ++i) {
    a.movq(FloatArg(i), ax::ptr(ax::r12, kCallFloatArgs + 8 * i));
  }
  for (int i = 0; i < Conv::kNumIntArgRegs; ++i) {
    a.mov(IntArg(i), ax::ptr(ax::r12, kCallArgs + 8 * i));
  }
  a.call(ax::ptr(ax::r12, kCallFn));
  a.mov(ax::ptr(ax::r13, kEntryFrameRetInt0), IntRet(0));
  a.mov(ax::ptr(ax::r13, kEntryFrameRetInt1), IntRet(1));
  a.movdqu(ax::ptr(ax::r13, kEntryFrameRetVec0),
           ax::xmm(Conv::kFloatRetRegs[0]));
  a.mov(ax::eax, 1);
  a.lea(ax::rsp, ax::ptr(ax::rbp, -kEntryFrameBytes));  // drop stack args
  a.bind(epilogue);                                     // rsp = entry_sp
  EmitEntryEpilogue(a);

  // --- trap landing: entered with rsp = EntryFrame::entry_sp.
  a.align(AlignMode::kCode, 16);
  a.bind(landing);
  a.xor_(ax::eax, ax::eax);
  a.jmp(epilogue);

  // --- unwind(entry_sp)
  a.align(AlignMode::kCode, 16);
  a.bind(unwind);
  a.mov(ax::rsp, IntArg(0));
  a.jmp(landing);

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
  t.unwind =
      reinterpret_cast<UnwindFn>(base + code.labelOffsetFromBase(unwind));
  t.typed0 =
      reinterpret_cast<const void*>(base + code.labelOffsetFromBase(typed0));
  t.code = *std::move(memory);
  return t;
}

absl::StatusOr<std::unique_ptr<CodeMemory>> GenerateTypedEntryTrampoline(
    uint32_t num_stack_slots) {
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  ax::Assembler a(&code);
  EmitTypedEntry(a, num_stack_slots);
  return PublishAsmjitCode(code);
}

}  // namespace kiln::runtime::internal
