#include "codegen/isa/x64/abi.h"

#include "codegen/isa/x64/inst.h"
#include "runtime/abi/call_conv.h"
#include "runtime/abi/x64/call_conv.h"

namespace kiln::isa::x64 {
namespace {

using Conv = abi::x64::CallConv;

bool InFloatRegs(ir::Type t) { return ir::IsFloat(t) || t == ir::Type::kV128; }

}  // namespace

std::string_view Abi::name() const { return Conv::kName; }

std::vector<ArgLoc> Abi::ArgLocs(absl::Span<const ir::Type> types,
                                 bool ret_area_ptr,
                                 int* num_stack_slots) const {
  std::vector<ArgLoc> locs;
  locs.reserve(types.size() + (ret_area_ptr ? 1 : 0));
  abi::ArgPlacer<Conv> placer;
  auto add = [&](bool is_float) {
    const abi::ArgSlot s = placer.Next(is_float);
    ArgLoc l;
    if (s.in_reg) {
      l.reg = is_float ? XmmReg(Conv::kFloatArgRegs[s.reg])
                       : GprReg(Conv::kIntArgRegs[s.reg]);
    } else {
      l.in_reg = false;
      l.stack_offset = Conv::kStackSlotSize * static_cast<int32_t>(s.stack_slot);
    }
    locs.push_back(l);
  };
  for (ir::Type t : types) add(InFloatRegs(t));
  if (ret_area_ptr) add(false);
  *num_stack_slots = static_cast<int>(placer.stack_slots());
  return locs;
}

RegClass Abi::RegClassOf(ir::Type t) const {
  return InFloatRegs(t) ? RegClass::kFloat : RegClass::kInt;
}

PReg Abi::ResultReg(ir::Type t) const {
  return InFloatRegs(t) ? XmmReg(Conv::kFloatRetRegs[0])
                        : GprReg(Conv::kIntRetRegs[0]);
}

std::vector<int32_t> Abi::ReturnAreaOffsets(absl::Span<const ir::Type> results,
                                            int32_t* size) const {
  return abi::ReturnAreaOffsets(
      results, [](ir::Type t) { return t == ir::Type::kV128; }, size);
}

int32_t Abi::StackSlotSize() const { return Conv::kStackSlotSize; }
int32_t Abi::IncomingArgsOffset() const { return Conv::kFrameHeaderSize; }

const regalloc::MachineEnv& Abi::machine_env() const {
  static const regalloc::MachineEnv* env = [this] {
    auto* e = new regalloc::MachineEnv;
    for (int r : {kRax, kRcx, kRdx, kRsi, kRdi, kR8, kR9, kR10, kRbx, kR12,
                  kR13, kR14, kR15}) {
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

RegSet Abi::CallClobbers() const {
  RegSet s;
  for (int r : {kRax, kRcx, kRdx, kRsi, kRdi, kR8, kR9, kR10, kR11}) {
    s.Add(GprReg(r));
  }
  for (int r = 0; r < 16; ++r) s.Add(XmmReg(r));
  return s;
}

RegSet Abi::CalleeSaved() const {
  RegSet s;
  for (uint8_t r : Conv::kCalleeSavedGprs) s.Add(GprReg(r));
  return s;
}

const Abi& X64Abi() {
  static const Abi abi;
  return abi;
}

const regalloc::MachineEnv& MachineEnv() { return X64Abi().machine_env(); }
RegSet CallClobbers() { return X64Abi().CallClobbers(); }
RegSet CalleeSaved() { return X64Abi().CalleeSaved(); }

}  // namespace kiln::isa::x64
