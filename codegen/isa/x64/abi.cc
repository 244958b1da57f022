#include "codegen/isa/x64/abi.h"

#include "codegen/isa/x64/inst.h"

namespace kiln::isa::x64 {

const regalloc::MachineEnv& MachineEnv() {
  static const regalloc::MachineEnv* env = [] {
    auto* e = new regalloc::MachineEnv;
    for (int r : {kRax, kRcx, kRdx, kRsi, kRdi, kR8, kR9, kR10, kRbx, kR12, kR13, kR14, kR15}) {
      e->allocatable[0].push_back(GprReg(r));
    }
    for (int r = 0; r < 15; ++r) e->allocatable[1].push_back(XmmReg(r));
    e->scratch[0] = GprReg(kR11);
    e->scratch[1] = XmmReg(15);
    e->callee_saved = CalleeSaved();
    return e;
  }();
  return *env;
}

RegSet CallClobbers() {
  RegSet s;
  for (int r : {kRax, kRcx, kRdx, kRsi, kRdi, kR8, kR9, kR10, kR11}) s.Add(GprReg(r));
  for (int r = 0; r < 16; ++r) s.Add(XmmReg(r));
  return s;
}

RegSet CalleeSaved() {
  RegSet s;
  for (int r : {kRbx, kR12, kR13, kR14, kR15}) s.Add(GprReg(r));
  return s;
}

}  // namespace kiln::isa::x64
