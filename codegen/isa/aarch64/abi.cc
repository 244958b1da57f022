#include "codegen/isa/aarch64/abi.h"

#include "codegen/isa/aarch64/inst.h"
#include "runtime/abi/aarch64/call_conv.h"
#include "runtime/abi/call_conv.h"

namespace kiln::isa::aarch64 {
namespace {

using Conv = abi::aarch64::CallConv;

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
      l.reg = is_float ? FpReg(Conv::kFloatArgRegs[s.reg])
                       : XReg(Conv::kIntArgRegs[s.reg]);
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
  return InFloatRegs(t) ? FpReg(Conv::kFloatRetRegs[0])
                        : XReg(Conv::kIntRetRegs[0]);
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
    for (int r = 0; r <= 15; ++r) e->allocatable[0].push_back(XReg(r));
    for (uint8_t r : Conv::kCalleeSavedGprs) e->allocatable[0].push_back(XReg(r));
    for (int r = 0; r <= 7; ++r) e->allocatable[1].push_back(FpReg(r));
    for (int r = 16; r <= 30; ++r) e->allocatable[1].push_back(FpReg(r));
    e->scratch[0] = XReg(kX16);
    e->scratch[1] = FpReg(kV31);
    e->callee_saved = CalleeSaved();
    return e;
  }();
  return *env;
}

RegSet Abi::CallClobbers() const {
  RegSet s;
  for (int r = 0; r <= 17; ++r) s.Add(XReg(r));
  // A callee may clobber the upper halves of v8-v15 too; no value lives in
  // them (never allocated), so every float register is clobbered.
  for (int r = 0; r < 32; ++r) s.Add(FpReg(r));
  return s;
}

RegSet Abi::CalleeSaved() const {
  RegSet s;
  for (uint8_t r : Conv::kCalleeSavedGprs) s.Add(XReg(r));
  return s;
}

const Abi& Aarch64Abi() {
  static const Abi abi;
  return abi;
}

}  // namespace kiln::isa::aarch64
