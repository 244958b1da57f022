#include "codegen/isa/x64/abi.h"

#include "codegen/isa/x64/inst.h"

namespace kiln::isa::x64 {

const Abi& X64Abi() {
  static const Abi* abi = [] {
    MachineRegs regs;
    // Caller-saved first; r11 and xmm15 are the scratch registers.
    for (int r : {kRax, kRcx, kRdx, kRsi, kRdi, kR8, kR9, kR10, kRbx, kR12,
                  kR13, kR14, kR15}) {
      regs.allocatable_int.push_back(GprReg(r));
    }
    for (int r = 0; r < 15; ++r) regs.allocatable_float.push_back(XmmReg(r));
    regs.scratch_int = GprReg(kR11);
    regs.scratch_float = XmmReg(15);
    for (int r : {kRax, kRcx, kRdx, kRsi, kRdi, kR8, kR9, kR10, kR11}) {
      regs.call_clobbers.Add(GprReg(r));
    }
    for (int r = 0; r < 16; ++r) regs.call_clobbers.Add(XmmReg(r));
    return new Abi(std::move(regs));
  }();
  return *abi;
}

const regalloc::MachineEnv& MachineEnv() { return X64Abi().machine_env(); }
RegSet CallClobbers() { return X64Abi().CallClobbers(); }
RegSet CalleeSaved() { return X64Abi().CalleeSaved(); }

}  // namespace kiln::isa::x64
