// The entry trampolines' instruction sequence, for every ISA: argument and
// result registers, the stack and frame pointers from the host CallConv,
// each step encoded by the ISA's EntryEmitter (entry_emitter.h).
#include "runtime/traps/entry_trampolines.h"

#include <asmjit/core.h>

#include <cstddef>
#include <memory>
#include <utility>

#include "runtime/abi/call_conv.h"
#include "runtime/code/asmjit_code.h"
#include "runtime/traps/call_thread_state.h"
#include "runtime/traps/entry.h"
#include "runtime/traps/entry_emitter.h"

namespace kiln::runtime::internal {
namespace {

using Conv = abi::HostCallConv;

// WasmCall fields enter reads.
constexpr int32_t kCallFn = offsetof(WasmCall, fn);
constexpr int32_t kCallArgs = offsetof(WasmCall, args);
constexpr int32_t kCallFloatArgs = offsetof(WasmCall, float_args);
constexpr int32_t kCallStackArgs = offsetof(WasmCall, stack_args);
constexpr int32_t kCallNumStackArgs = offsetof(WasmCall, num_stack_args);
static_assert(Conv::kStackSlotSize == 8, "WasmCall holds 8-byte slots");

// The frame every trampoline builds, entry_sp and entry_fp recorded in the
// EntryFrame* held in `frame`.
void EmitPrologue(EntryEmitter& e, uint8_t frame) {
  e.EmitFrameSetup(frame);
  e.EmitStore(Conv::kStackPointer, frame, kEntryFrameEntrySp);
  e.EmitStore(Conv::kFramePointer, frame, kEntryFrameEntryFp);
}

// R(void* a0, EntryFrame* frame, rest...): frame arrives in the second
// integer argument register, which the callee gets frame->arg1 in; only
// the emitter's target and scratch registers are used, so every other
// argument register reaches the callee.
void EmitTypedEntry(EntryEmitter& e, uint32_t n) {
  const uint8_t frame = Conv::kIntArgRegs[1];
  EmitPrologue(e, frame);
  e.EmitLoadTarget(frame, kEntryFrameCode);
  e.EmitLoad(frame, frame, kEntryFrameArg1);
  if (n > 0) {
    const int32_t bytes = static_cast<int32_t>(
        (Conv::kStackSlotSize * uint64_t{n} + Conv::kStackAlign - 1) &
        ~uint64_t{Conv::kStackAlign - 1});
    e.EmitAllocStack(bytes);
    const uint8_t scratch = e.regs().scratch;
    for (uint32_t i = 0; i < n; ++i) {
      const int32_t at = static_cast<int32_t>(Conv::kStackSlotSize * i);
      e.EmitLoad(scratch, Conv::kFramePointer, Conv::kFrameHeaderSize + at);
      e.EmitStore(scratch, Conv::kStackPointer, at);
    }
  }
  e.EmitCallTarget();
  // The callee left sp where it found it: back to entry_sp.
  if (n > 0) e.EmitStackFromFramePointer(e.frame_bytes());
  e.EmitFrameTeardown();
}

}  // namespace

absl::StatusOr<EntryTrampolines> GenerateEntryTrampolines() {
  using asmjit::Label;
  asmjit::CodeHolder code;
  code.init(asmjit::Environment::host());
  std::unique_ptr<EntryEmitter> emitter = NewEntryEmitter(&code);
  EntryEmitter& e = *emitter;
  asmjit::BaseAssembler& a = e.assembler();
  const EntryEmitter::Regs regs = e.regs();
  Label epilogue = a.newLabel();
  Label landing = a.newLabel();
  Label unwind = a.newLabel();

  // --- enter(EntryFrame* frame, const WasmCall* call)
  EmitPrologue(e, Conv::kIntArgRegs[0]);
  e.EmitMove(regs.keep_frame, Conv::kIntArgRegs[0]);
  e.EmitMove(regs.keep_call, Conv::kIntArgRegs[1]);
  e.EmitCopyStackArgs(regs.keep_call, kCallNumStackArgs, kCallStackArgs);
  for (int i = 0; i < Conv::kNumFloatArgRegs; ++i) {
    e.EmitLoadFloat(Conv::kFloatArgRegs[i], regs.keep_call,
                    kCallFloatArgs + 8 * i);
  }
  for (int i = 0; i < Conv::kNumIntArgRegs; ++i) {
    e.EmitLoad(Conv::kIntArgRegs[i], regs.keep_call, kCallArgs + 8 * i);
  }
  e.EmitCallMemory(regs.keep_call, kCallFn);
  e.EmitStore(Conv::kIntRetRegs[0], regs.keep_frame, kEntryFrameRetInt0);
  e.EmitStore(Conv::kIntRetRegs[1], regs.keep_frame, kEntryFrameRetInt1);
  e.EmitStoreVector(Conv::kFloatRetRegs[0], regs.keep_frame,
                    kEntryFrameRetVec0);
  e.EmitSetInt32(Conv::kIntRetRegs[0], 1);
  e.EmitStackFromFramePointer(e.frame_bytes());  // drop the stack arguments
  a.bind(epilogue);                              // sp = entry_sp
  e.EmitFrameTeardown();

  // --- trap landing: entered with sp = EntryFrame::entry_sp.
  a.align(asmjit::AlignMode::kCode, 16);
  a.bind(landing);
  e.EmitSetInt32(Conv::kIntRetRegs[0], 0);
  e.EmitJump(epilogue);

  // --- unwind(entry_sp)
  a.align(asmjit::AlignMode::kCode, 16);
  a.bind(unwind);
  e.EmitMove(Conv::kStackPointer, Conv::kIntArgRegs[0]);
  e.EmitJump(landing);

  // --- typed entry, no stack arguments.
  a.align(asmjit::AlignMode::kCode, 16);
  Label typed0 = a.newLabel();
  a.bind(typed0);
  EmitTypedEntry(e, 0);

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
  EmitTypedEntry(*NewEntryEmitter(&code), num_stack_slots);
  return PublishAsmjitCode(code);
}

}  // namespace kiln::runtime::internal
