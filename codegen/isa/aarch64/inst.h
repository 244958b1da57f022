// AArch64 machine instructions over VCode operands (see inst.def) and a
// builder that appends them to a MachFunction with their VCode operands.
//
// Convention (as in x64/inst.h): an instruction's register fields are its
// VCode operand slots; Mem::base / index name operand slots too. After
// register allocation the emitter reads Output::allocs[op_begin + slot].
#ifndef KILN_CODEGEN_ISA_AARCH64_INST_H_
#define KILN_CODEGEN_ISA_AARCH64_INST_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "codegen/isa/reg.h"
#include "codegen/isa/vcode.h"
#include "runtime/abi/trap_code.h"

namespace kiln::isa::aarch64 {

enum class Op : uint8_t {
#define KILN_A64_INST(name, text, flags) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_INST
};
enum class AluOp : uint8_t {
#define KILN_A64_ALU(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_ALU
};
enum class UnaryOp : uint8_t {
#define KILN_A64_UNARY(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_UNARY
};
enum class FBinOp : uint8_t {
#define KILN_A64_FBIN(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_FBIN
};
enum class FUnOp : uint8_t {
#define KILN_A64_FUN(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_FUN
};
enum class LoadKind : uint8_t {
#define KILN_A64_LOAD(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_LOAD
};
enum class StoreKind : uint8_t {
#define KILN_A64_STORE(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_STORE
};

enum class AtomicOp : uint8_t {
#define KILN_A64_ATOMIC(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_ATOMIC
};

enum class VecOp : uint8_t {
#define KILN_A64_VOP(name, text) k##name,
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_VOP
};

// NEON register arrangements: full vectors, 64-bit halves and scalars
// (the lane element of VecDupLane / VecInsLane / VecExtract).
enum class VecArr : uint8_t { k16B, k8H, k4S, k2D, k8B, k4H, k2S, kB, kH, kS, kD, kQ };
// The full-width arrangement with lanes of `lane_bytes` (1, 2, 4, 8).
VecArr FullArr(int lane_bytes);
// The 64-bit arrangement with lanes of `lane_bytes` (1, 2, 4).
VecArr HalfArr(int lane_bytes);
// The scalar element of `lane_bytes`.
VecArr ElemArr(int lane_bytes);
// VecRR with an immediate operand: cc carries this bit.
inline constexpr uint8_t kVecHasImm = 0x80;

const char* OpName(Op op);
const char* VecOpName(VecOp op);
const char* AtomicOpName(AtomicOp op);
uint16_t OpVCodeFlags(Op op);

// Registers with a fixed role (hardware numbers).
inline constexpr int kX16 = 16;  // IP0: the allocator's scratch (move cycles)
inline constexpr int kX17 = 17;  // IP1: the emitter's temporary
inline constexpr int kFp = 29;
inline constexpr int kLr = 30;
inline constexpr int kV31 = 31;  // the allocator's float scratch
inline PReg XReg(int hw) { return PReg::Int(hw); }
inline PReg FpReg(int hw) { return PReg::Float(hw); }

// AArch64 condition codes in the architecture's encoding (eq = 0 ... le =
// 13); inverting flips bit 0.
enum Cond : uint8_t {
  kCondEq = 0, kCondNe, kCondHs, kCondLo, kCondMi, kCondPl, kCondVs, kCondVc,
  kCondHi, kCondLs, kCondGe, kCondLt, kCondGt, kCondLe,
};
inline Cond InvertCond(Cond c) { return static_cast<Cond>(c ^ 1); }
const char* CondName(Cond c);

enum class DivKind : uint8_t { kUdiv, kSdiv, kUrem, kSrem };
enum class FloatToIntKind : uint8_t { kSigned, kUnsigned, kSignedSat, kUnsignedSat };
enum class RelocKind : uint8_t { kWasmFunction, kBuiltin };

// Special Mem bases that are not operand slots.
inline constexpr int8_t kNoReg = -1;
inline constexpr int8_t kBaseSp = -2;  // outgoing stack arguments [sp + disp]
inline constexpr int8_t kBaseFp = -3;  // incoming stack arguments [x29 + disp]

struct Mem {
  int8_t base = kNoReg;   // operand slot or kBase*
  int8_t index = kNoReg;  // operand slot (a 64-bit register) or kNoReg
  int64_t disp = 0;       // any value: the emitter builds large ones in x17
};

inline constexpr uint8_t kNoTrap = 0xff;

struct Inst {
  Op op = Op::kArgs;
  uint8_t size = 8;  // operand size in bytes (4: w registers / s, 8: x / d)
  uint8_t sub = 0;   // AluOp / UnaryOp / FBinOp / FUnOp / LoadKind / ...
  uint8_t cc = 0;    // Cond
  uint8_t trap = kNoTrap;  // TrapCode recorded at this instruction's fault
  Mem mem;
  int64_t imm = 0;
};

// A function in VCode form plus the AArch64 payload of each instruction.
struct MachFunction {
  VCode vcode;
  std::vector<Inst> insts;  // parallel to vcode instructions
  // Wasm bytecode offset per instruction (~0u: none); empty if unknown.
  std::vector<uint32_t> srclocs;
  std::string name;
  // 128-bit constants of VConst (low, high 64 bits).
  std::vector<std::array<uint64_t, 2>> vconsts;
  // v128 values present: spill slots are 16 bytes (else 8).
  bool wide_float_slots = false;
};

// Address with vregs, converted to operand slots by the builder.
struct Addr {
  VReg base = kInvalidVReg;
  VReg index = kInvalidVReg;
  int64_t disp = 0;
  int8_t special_base = kNoReg;  // kBaseSp / kBaseFp instead of `base`
};

class Builder {
 public:
  explicit Builder(MachFunction* f) : f_(f) {}
  VCode& vcode() { return f_->vcode; }
  VReg NewInt() { return f_->vcode.NewVReg(RegClass::kInt); }
  VReg NewFloat() { return f_->vcode.NewVReg(RegClass::kFloat); }

  uint32_t Emit(Inst inst, absl::Span<const Operand> ops, const Addr* addr = nullptr,
                RegSet clobbers = RegSet());

  void Args(absl::Span<const VReg> vregs, absl::Span<const PReg> regs);
  void MovRR(VReg src, VReg dst);
  void MovImm(VReg dst, int64_t imm, int size = 8);
  void Load(LoadKind k, VReg dst, const Addr& a, uint8_t trap = kNoTrap);
  void Store(StoreKind k, VReg src, const Addr& a, uint8_t trap = kNoTrap);
  void SpAddr(VReg dst, int32_t offset);
  void AluRRR(AluOp op, VReg a, VReg b, VReg dst, int size);
  void AluRRI(AluOp op, VReg a, int64_t imm, VReg dst, int size);
  void Unary(UnaryOp op, VReg src, VReg dst, int size);
  void Popcnt(VReg src, VReg dst, int size);
  void Div(DivKind k, VReg dividend, VReg divisor, VReg dst, int size, bool zero_check,
           bool overflow_check);
  void Cmp(VReg a, VReg b, int size);
  void CmpImm(VReg a, int32_t imm, int size);
  void Cset(Cond cc, VReg dst);
  void Csel(Cond cc, VReg if_true, VReg if_false, VReg dst, int size);
  void FCsel(Cond cc, VReg if_true, VReg if_false, VReg dst, int size);
  void Jmp(uint32_t target, absl::Span<const VReg> args = {});
  void Bcond(Cond cc, uint32_t taken, absl::Span<const VReg> taken_args, uint32_t not_taken,
             absl::Span<const VReg> not_taken_args);
  void BrTable(VReg index, uint32_t default_block, absl::Span<const uint32_t> targets);
  void Ret(absl::Span<const VReg> vals, absl::Span<const PReg> regs);
  void Trap(abi::TrapCode code);
  void TrapIf(Cond cc, abi::TrapCode code);
  // `popped`: the stack-argument bytes the callee pops (see inst.def).
  void CallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                 absl::Span<const PReg> arg_regs, absl::Span<const VReg> rets,
                 absl::Span<const PReg> ret_regs, RegSet clobbers, int32_t popped);
  void CallInd(VReg target, absl::Span<const VReg> args, absl::Span<const PReg> arg_regs,
               absl::Span<const VReg> rets, absl::Span<const PReg> ret_regs,
               RegSet clobbers, int32_t popped);
  void ReturnCallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                       absl::Span<const PReg> arg_regs, int32_t popped);
  void ReturnCallInd(VReg target, absl::Span<const VReg> args,
                     absl::Span<const PReg> arg_regs, int32_t popped);
  void FMov(VReg src, VReg dst);
  void FRRR(FBinOp op, VReg a, VReg b, VReg dst, int size);
  void FRR(FUnOp op, VReg src, VReg dst, int size);
  void FCmp(VReg a, VReg b, int size);
  void FConst(VReg dst, uint64_t bits, int size);
  void IntToFloat(bool is_unsigned, VReg src, int int_size, VReg dst, int float_size);
  void FloatToFloat(VReg src, VReg dst, int dst_size);
  void FloatToInt(FloatToIntKind k, VReg src, int float_size, VReg dst, int int_size);
  void MovToFpr(VReg src, VReg dst, int size);
  void MovFromFpr(VReg src, VReg dst, int size);
  void Copysign(VReg mag, VReg sign, VReg dst, int size);

  // Threads (see inst.def; `bytes` = the access size).
  void AtomicLoad(int bytes, VReg dst, const Addr& a, uint8_t trap);
  void AtomicStore(int bytes, VReg src, const Addr& a, uint8_t trap);
  void AtomicRmw(AtomicOp op, int bytes, VReg src, VReg dst, const Addr& a, uint8_t trap);
  void AtomicCas(int bytes, VReg expected, VReg replacement, VReg dst, const Addr& a,
                 uint8_t trap);
  void Fence();

  // NEON (see inst.def; `d` = destination arrangement, `s` = sources').
  void VConst(VReg dst, uint64_t lo, uint64_t hi);
  void VMov(VReg src, VReg dst);
  void VecRRR(VecOp op, VecArr d, VecArr s, VReg a, VReg b, VReg dst);
  void VecRR(VecOp op, VecArr d, VecArr s, VReg src, VReg dst);
  void VecRRImm(VecOp op, VecArr d, VecArr s, VReg src, int64_t imm, VReg dst);
  void VecRRRMod(VecOp op, VecArr d, VecArr s, VReg a, VReg b, VReg dst);
  void VecRRMod(VecOp op, VecArr d, VecArr s, VReg src, VReg dst);
  void VecRRModImm(VecOp op, VecArr d, VecArr s, VReg src, int64_t imm, VReg dst);
  void VecDup(VecArr d, VReg gpr, VReg dst);
  void VecDupLane(VecArr d, VecArr elem, int lane, VReg src, VReg dst);
  void VecInsGpr(VecArr elem, int lane, VReg gpr, VReg dst);
  void VecInsLane(VecArr elem, int lane, VReg src, VReg dst);
  void VecExtract(VecArr elem, int lane, VReg src, VReg gpr);
  void VSelect(Cond cc, VReg if_true, VReg if_false, VReg dst);

 private:
  MachFunction* f_;
  std::vector<Operand> ops_;  // scratch
};

// Text of one instruction for debugging ("alu_rrr.add.8 v1 v2 v3").
std::string InstToString(const MachFunction& f, uint32_t i);

}  // namespace kiln::isa::aarch64

#endif  // KILN_CODEGEN_ISA_AARCH64_INST_H_
