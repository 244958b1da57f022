#include "codegen/isa/aarch64/abi.h"

#include "codegen/isa/aarch64/inst.h"

namespace kiln::isa::aarch64 {

const Abi& Aarch64Abi() {
  static const Abi* abi = [] {
    using Conv = abi::aarch64::CallConv;
    MachineRegs regs;
    // x0-x15 (caller-saved) first, then the callee-saved x19-x28; x16 is
    // the scratch, x17 the emitter's temporary, x18 the platform register.
    for (int r = 0; r <= 15; ++r) regs.allocatable_int.push_back(XReg(r));
    for (uint8_t r : Conv::kCalleeSavedGprs) {
      regs.allocatable_int.push_back(XReg(r));
    }
    for (int r = 0; r <= 7; ++r) regs.allocatable_float.push_back(FpReg(r));
    for (int r = 16; r <= 30; ++r) regs.allocatable_float.push_back(FpReg(r));
    regs.scratch_int = XReg(kX16);
    regs.scratch_float = FpReg(kV31);
    for (int r = 0; r <= 17; ++r) regs.call_clobbers.Add(XReg(r));
    // A callee may clobber the upper halves of v8-v15 too; no value lives in
    // them (never allocated), so every float register is clobbered.
    for (int r = 0; r < 32; ++r) regs.call_clobbers.Add(FpReg(r));
    return new Abi(std::move(regs));
  }();
  return *abi;
}

}  // namespace kiln::isa::aarch64
