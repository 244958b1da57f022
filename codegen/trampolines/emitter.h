// The encoding hooks an ISA provides for the array-call and wasm-to-host
// trampolines (codegen/trampolines/<isa>/emitter_<isa>.cc). What goes
// where -- each parameter from its ValRaw slot to its register or stack
// slot (ComputeLayout), the return area, the results -- is ISA-neutral
// (trampolines.cc) and uses the host CallConv's registers; an Emitter only
// encodes single steps. Registers are hardware numbers as in the CallConv
// tables (float registers for f32 / f64 / v128); CallConv::kStackPointer
// and kFramePointer name sp and the frame pointer.
#ifndef KILN_CODEGEN_TRAMPOLINES_EMITTER_H_
#define KILN_CODEGEN_TRAMPOLINES_EMITTER_H_

#include <asmjit/core.h>

#include <cstdint>
#include <memory>

#include "wasm/types.h"

namespace kiln::trampolines {

class Emitter {
 public:
  virtual ~Emitter() = default;

  // Register roles the ISA picks (hardware numbers).
  struct Regs {
    // Callee-saved: the array call's ValRaw array and call target, saved
    // by EmitArrayCallPrologue.
    uint8_t values;
    uint8_t target;
    // No argument register: a value in flight at any point.
    uint8_t scratch;
    // Caller-saved, used only after the call (may be an argument
    // register): a second integer and a v128 in flight.
    uint8_t scratch2;
    uint8_t scratch_vec;
  };
  virtual Regs regs() const = 0;
  // The largest frame (bytes below the frame record) the ISA's
  // EmitAllocStack can encode here.
  virtual int32_t max_frame_bytes() const = 0;

  // The array call's frame: the frame record, then `values` and `target`
  // saved, sp 16-byte aligned. The epilogue restores them and returns.
  virtual void EmitArrayCallPrologue() = 0;
  virtual void EmitArrayCallEpilogue() = 0;
  // The wasm-to-host frame: a frame record only (sp 16-byte aligned); the
  // epilogue drops everything below it and returns, popping `popped_bytes`
  // of stack arguments (abi::CalleePoppedBytes: 0 where the caller pops).
  virtual void EmitFrameRecord() = 0;
  virtual void EmitFrameRecordEpilogue(int32_t popped_bytes) = 0;

  // sp -= bytes (bytes <= max_frame_bytes()).
  virtual void EmitAllocStack(int32_t bytes) = 0;
  // 64-bit register move; either may be the stack pointer.
  virtual void EmitMove(uint8_t dst, uint8_t src) = 0;
  // dst = sp + offset.
  virtual void EmitStackAddress(uint8_t dst, int32_t offset) = 0;
  // A load / store of `type`'s machine width between register `reg`
  // (an integer register for kI32 / kI64, a float register for kF32 /
  // kF64 / kV128; kI32 loads clear the upper half) and [base + offset]
  // (unaligned for kV128). Other types: as kI64.
  virtual void EmitLoad(wasm::ValType type, uint8_t reg, uint8_t base,
                        int32_t offset) = 0;
  virtual void EmitStore(wasm::ValType type, uint8_t reg, uint8_t base,
                         int32_t offset) = 0;
  // Calls the address in register `target`.
  virtual void EmitCallRegister(uint8_t target) = 0;
  // Calls an absolute address (may clobber scratch).
  virtual void EmitCallAbsolute(uint64_t address) = 0;

  // The assembled code.
  virtual asmjit::CodeHolder& code() = 0;
};

// The host ISA's emitter with a fresh CodeHolder.
std::unique_ptr<Emitter> NewEmitter();

}  // namespace kiln::trampolines

#endif  // KILN_CODEGEN_TRAMPOLINES_EMITTER_H_
