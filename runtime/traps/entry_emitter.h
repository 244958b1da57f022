// The encoding hooks an ISA provides for the entry trampolines
// (runtime/traps/<isa>/entry_emitter_<isa>.cc; x86-64:
// x64/entry_emitter_x64.cc). The sequence of every trampoline -- which
// register is loaded from where, in what order, the labels, the landing
// and unwind paths -- is ISA-neutral (entry_trampolines.cc) and takes the
// argument, result, stack and frame-pointer registers from the host's
// CallConv (runtime/abi/call_conv.h); an EntryEmitter only encodes single
// steps. Registers are hardware numbers as in the CallConv tables;
// CallConv::kStackPointer and kFramePointer name sp and the frame pointer.
#ifndef KILN_RUNTIME_TRAPS_ENTRY_EMITTER_H_
#define KILN_RUNTIME_TRAPS_ENTRY_EMITTER_H_

#include <asmjit/core.h>

#include <cstdint>
#include <memory>

namespace kiln::runtime::internal {

class EntryEmitter {
 public:
  virtual ~EntryEmitter() = default;

  // The assembler, for labels and alignment (ISA-neutral in asmjit).
  virtual asmjit::BaseAssembler& assembler() = 0;

  // Register roles the ISA picks (hardware numbers).
  struct Regs {
    uint8_t keep_frame;  // callee-saved: enter's EntryFrame* across the call
    uint8_t keep_call;   // callee-saved: enter's WasmCall* across the call
    uint8_t scratch;     // no argument register: the typed entry's slot copies
  };
  virtual Regs regs() const = 0;
  // Bytes from the frame pointer down to entry_sp (16-byte aligned).
  virtual int32_t frame_bytes() const = 0;

  // Builds the frame every entry trampoline shares: the frame record,
  // the callee-saved registers and the EntryFrame* in register `frame`
  // (which it leaves intact), ending with sp = entry_sp.
  virtual void EmitFrameSetup(uint8_t frame) = 0;
  // With sp = entry_sp: restores the callee-saved registers and the
  // caller's frame and returns.
  virtual void EmitFrameTeardown() = 0;

  // 64-bit moves, loads and stores; `src` of a store may be the stack
  // pointer and `dst` of a move may be too.
  virtual void EmitMove(uint8_t dst, uint8_t src) = 0;
  virtual void EmitLoad(uint8_t dst, uint8_t base, int32_t offset) = 0;
  virtual void EmitStore(uint8_t src, uint8_t base, int32_t offset) = 0;
  // The low 64 bits of float register `dst` from memory.
  virtual void EmitLoadFloat(uint8_t dst, uint8_t base, int32_t offset) = 0;
  // The 128 bits of float / vector register `src` to memory (unaligned).
  virtual void EmitStoreVector(uint8_t src, uint8_t base, int32_t offset) = 0;
  // dst = `value` as a 32-bit integer (the upper half cleared).
  virtual void EmitSetInt32(uint8_t dst, int32_t value) = 0;

  // Moves sp down by round_up(8 * n, 16) bytes, n = the 64-bit count at
  // [call + count_offset], and copies the n 8-byte slots at the pointer
  // [call + slots_offset] there (slot 0 at the new sp). May clobber any
  // caller-saved register; `call` stays intact.
  virtual void EmitCopyStackArgs(uint8_t call, int32_t count_offset,
                                 int32_t slots_offset) = 0;
  // sp -= bytes.
  virtual void EmitAllocStack(int32_t bytes) = 0;
  // sp = frame pointer - bytes.
  virtual void EmitStackFromFramePointer(int32_t bytes) = 0;

  // Calls the address stored at [base + offset].
  virtual void EmitCallMemory(uint8_t base, int32_t offset) = 0;
  // Loads a call target from [base + offset] into a register that is no
  // argument register, and calls it; for a target read before the
  // argument registers are set.
  virtual void EmitLoadTarget(uint8_t base, int32_t offset) = 0;
  virtual void EmitCallTarget() = 0;
  virtual void EmitJump(const asmjit::Label& label) = 0;
};

// The host ISA's emitter, appending to `code` (initialized for the host).
std::unique_ptr<EntryEmitter> NewEntryEmitter(asmjit::CodeHolder* code);

}  // namespace kiln::runtime::internal

#endif  // KILN_RUNTIME_TRAPS_ENTRY_EMITTER_H_
