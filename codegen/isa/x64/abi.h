// The x86-64 ABI object (isa::Abi): System V AMD64 with Kiln's additions,
// over the register tables in runtime/abi/x64/call_conv.h.
//
//  * Arguments 0 and 1 are the callee VMContext* and caller VMContext*
//    (ordinary i64 parameters of every IR function, in rdi and rsi).
//  * Integer arguments in rdi, rsi, rdx, rcx, r8, r9; float arguments in
//    xmm0-7; the rest on the stack in 8-byte slots, left to right.
//  * One result in rax or xmm0. With more than one result the caller passes
//    a return-area pointer as an extra last integer argument and the callee
//    stores the results there (abi::ReturnAreaOffsets: result k at 8*k
//    unless an earlier result is a v128, which takes 16 bytes); nothing is
//    returned in registers.
//  * rbp is always the frame pointer (push rbp; mov rbp, rsp) so
//    backtraces can walk the rbp chain. Every prologue checks the stack
//    limit stored in the callee VMContext (cmp rsp, [rdi + off]; jb trap).
//
// Register use: allocatable int registers are rax rcx rdx rsi rdi r8-r10
// (caller-saved, preferred) then rbx r12-r15 (callee-saved, saved in the
// prologue when used). r11 and xmm15 are reserved as scratch registers for
// move resolution (cycles). r15 is NOT pinned to the VMContext: the
// VMContext is an ordinary SSA value that the allocator keeps in a
// callee-saved register or spills when it is live across calls; pinning
// would cost a register in every function for a benefit only in
// memory-heavy loops, where the value is in a register anyway.
#ifndef KILN_CODEGEN_ISA_X64_ABI_H_
#define KILN_CODEGEN_ISA_X64_ABI_H_

#include <vector>

#include "codegen/isa/abi.h"
#include "codegen/isa/reg.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::isa::x64 {

class Abi final : public isa::Abi {
 public:
  std::string_view name() const override;
  std::vector<ArgLoc> ArgLocs(absl::Span<const ir::Type> types,
                              bool ret_area_ptr,
                              int* num_stack_slots) const override;
  RegClass RegClassOf(ir::Type t) const override;
  PReg ResultReg(ir::Type t) const override;
  int32_t StackSlotSize() const override;
  int32_t IncomingArgsOffset() const override;
  std::vector<int32_t> ReturnAreaOffsets(absl::Span<const ir::Type> results,
                                         int32_t* size) const override;
  const regalloc::MachineEnv& machine_env() const override;
  RegSet CallClobbers() const override;
  RegSet CalleeSaved() const override;
};

// The one x64 ABI object.
const Abi& X64Abi();

// Shorthands for X64Abi().machine_env() / CallClobbers() / CalleeSaved().
const regalloc::MachineEnv& MachineEnv();
RegSet CallClobbers();
RegSet CalleeSaved();

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_ABI_H_
