// The ABI object every ISA instantiates (isa::Abi over the ISA's
// abi::<isa>::CallConv, runtime/abi/<isa>/call_conv.h). Placement, result
// registers, stack slots, the return area and callee-saved registers are
// read from the CallConv tables the same way for every ISA, so an ISA's
// abi.cc supplies only what is codegen's choice rather than the
// convention's: the allocation order, the scratch registers and the
// registers a call clobbers (MachineRegs).
#ifndef KILN_CODEGEN_ISA_CONV_ABI_H_
#define KILN_CODEGEN_ISA_CONV_ABI_H_

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/types.h"
#include "codegen/isa/abi.h"
#include "codegen/isa/reg.h"
#include "codegen/regalloc/regalloc.h"
#include "runtime/abi/call_conv.h"

namespace kiln::isa {

// The register roles an ISA's code generator picks.
struct MachineRegs {
  // Allocatable registers per class, in preference order (caller-saved
  // first, so short-lived values do not cost prologue saves).
  std::vector<PReg> allocatable_int;
  std::vector<PReg> allocatable_float;
  // Reserved for the allocator's move cycles (never allocatable).
  PReg scratch_int;
  PReg scratch_float;
  // Every register a call may clobber.
  RegSet call_clobbers;
};

template <typename Conv>
class ConvAbi final : public Abi {
 public:
  explicit ConvAbi(MachineRegs regs) : call_clobbers_(regs.call_clobbers) {
    for (uint8_t r : Conv::kCalleeSavedGprs) callee_saved_.Add(PReg::Int(r));
    env_.allocatable[0] = std::move(regs.allocatable_int);
    env_.allocatable[1] = std::move(regs.allocatable_float);
    env_.scratch[0] = regs.scratch_int;
    env_.scratch[1] = regs.scratch_float;
    env_.callee_saved = callee_saved_;
  }

  std::string_view name() const override { return Conv::kName; }

  std::vector<ArgLoc> ArgLocs(absl::Span<const ir::Type> types,
                              bool ret_area_ptr,
                              int* num_stack_slots) const override {
    std::vector<ArgLoc> locs;
    locs.reserve(types.size() + (ret_area_ptr ? 1 : 0));
    abi::ArgPlacer<Conv> placer;
    auto add = [&](bool is_float) {
      const abi::ArgSlot s = placer.Next(is_float);
      ArgLoc l;
      if (s.in_reg) {
        l.reg = is_float ? PReg::Float(Conv::kFloatArgRegs[s.reg])
                         : PReg::Int(Conv::kIntArgRegs[s.reg]);
      } else {
        l.in_reg = false;
        l.stack_offset =
            Conv::kStackSlotSize * static_cast<int32_t>(s.stack_slot);
      }
      locs.push_back(l);
    };
    for (ir::Type t : types) add(InFloatRegs(t));
    if (ret_area_ptr) add(false);
    *num_stack_slots = static_cast<int>(placer.stack_slots());
    return locs;
  }

  RegClass RegClassOf(ir::Type t) const override {
    return InFloatRegs(t) ? RegClass::kFloat : RegClass::kInt;
  }
  PReg ResultReg(ir::Type t) const override {
    return InFloatRegs(t) ? PReg::Float(Conv::kFloatRetRegs[0])
                          : PReg::Int(Conv::kIntRetRegs[0]);
  }
  int32_t StackSlotSize() const override { return Conv::kStackSlotSize; }
  int32_t IncomingArgsOffset() const override {
    return Conv::kFrameHeaderSize;
  }
  int32_t CalleePoppedBytes(int num_stack_slots) const override {
    return abi::CalleePoppedBytes<Conv>(static_cast<uint32_t>(num_stack_slots));
  }
  std::vector<int32_t> ReturnAreaOffsets(absl::Span<const ir::Type> results,
                                         int32_t* size) const override {
    return abi::ReturnAreaOffsets(
        results, [](ir::Type t) { return t == ir::Type::kV128; }, size);
  }
  const regalloc::MachineEnv& machine_env() const override { return env_; }
  RegSet CallClobbers() const override { return call_clobbers_; }
  RegSet CalleeSaved() const override { return callee_saved_; }

 private:
  // v128 values travel in the float / vector registers on every ISA.
  static bool InFloatRegs(ir::Type t) {
    return ir::IsFloat(t) || t == ir::Type::kV128;
  }

  regalloc::MachineEnv env_;
  RegSet call_clobbers_;
  RegSet callee_saved_;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_CONV_ABI_H_
