// x64 machine instructions over VCode operands (see inst.def) and a builder
// that appends them to a MachFunction together with their VCode operands.
//
// Convention: an instruction's register fields are its VCode operand slots:
// "r0" is operand 0 of the instruction, and Amode::base/index name operand
// slots too. After register allocation the emitter reads
// Output::allocs[op_begin + slot].
#ifndef KILN_CODEGEN_ISA_X64_INST_H_
#define KILN_CODEGEN_ISA_X64_INST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "codegen/isa/reg.h"
#include "codegen/isa/vcode.h"
#include "runtime/abi/trap_code.h"

namespace kiln::isa::x64 {

enum class Op : uint8_t {
#define KILN_X64_INST(name, text, flags) k##name,
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_INST
};
enum class AluOp : uint8_t {
#define KILN_X64_ALU(name, text) k##name,
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_ALU
};
enum class ShiftOp : uint8_t {
#define KILN_X64_SHIFT(name, text) k##name,
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_SHIFT
};
enum class SseOp : uint8_t {
#define KILN_X64_SSE(name, ss, sd) k##name,
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_SSE
};
enum class LoadKind : uint8_t {
#define KILN_X64_LOAD(name, text) k##name,
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_LOAD
};
enum class StoreKind : uint8_t {
#define KILN_X64_STORE(name, text) k##name,
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_STORE
};

const char* OpName(Op op);
uint16_t OpVCodeFlags(Op op);

// Hardware register numbers.
enum Gpr : uint8_t {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
  kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};
inline PReg GprReg(int hw) { return PReg::Int(hw); }
inline PReg XmmReg(int hw) { return PReg::Float(hw); }

// x86 condition codes (asmjit's numbering) plus two float pseudo-conditions
// for ucomis results that need two flags.
enum Cond : uint8_t {
  kCondO = 0, kCondNO, kCondB, kCondAE, kCondE, kCondNE, kCondBE, kCondA,
  kCondS, kCondNS, kCondP, kCondNP, kCondL, kCondGE, kCondLE, kCondG,
  kCondFEq = 16,  // ZF=1 and PF=0 (ordered equal)
  kCondFNe = 17,  // ZF=0 or PF=1 (unordered or not equal)
};
Cond InvertCond(Cond c);

enum class DivKind : uint8_t { kUdiv, kSdiv, kUrem, kSrem };
// The operations of AtomicRmw.
enum class AtomicOp : uint8_t { kAdd, kSub, kAnd, kOr, kXor, kXchg };
enum class FloatToIntKind : uint8_t { kSigned, kUnsigned, kSignedSat, kUnsignedSat };
enum class RelocKind : uint8_t { kWasmFunction, kBuiltin };

// Special Amode bases that are not operand slots.
inline constexpr int8_t kNoReg = -1;
inline constexpr int8_t kBaseRsp = -2;  // outgoing stack arguments [rsp + disp]
inline constexpr int8_t kBaseRbp = -3;  // incoming stack arguments [rbp + disp]
inline constexpr int8_t kBaseRip = -4;  // not used yet

struct Amode {
  int8_t base = kNoReg;   // operand slot or kBase*
  int8_t index = kNoReg;  // operand slot or kNoReg
  uint8_t shift = 0;      // scale = 1 << shift
  int32_t disp = 0;
};

inline constexpr uint8_t kNoTrap = 0xff;

struct Inst {
  Op op = Op::kArgs;
  uint8_t size = 8;  // operand size in bytes
  uint8_t sub = 0;   // AluOp / ShiftOp / SseOp / LoadKind / StoreKind / ...
  uint8_t cc = 0;    // Cond
  uint8_t trap = kNoTrap;  // TrapCode recorded at this instruction's fault
  Amode mem;
  int64_t imm = 0;
};

// A function in VCode form plus the x64 payload of each instruction.
struct MachFunction {
  VCode vcode;
  std::vector<Inst> insts;  // parallel to vcode instructions
  // Wasm bytecode offset per instruction (~0u: none); empty if unknown.
  std::vector<uint32_t> srclocs;
  std::string name;
  // Float-class spill slots are 16 bytes (a v128 value exists).
  bool wide_float_slots = false;
};

// Address with vregs, converted to operand slots by the builder.
struct Addr {
  VReg base = kInvalidVReg;
  VReg index = kInvalidVReg;
  uint8_t shift = 0;
  int32_t disp = 0;
  int8_t special_base = kNoReg;  // kBaseRsp / kBaseRbp instead of `base`
};

// Appends instructions. All methods append to the block last started with
// StartBlock.
class Builder {
 public:
  explicit Builder(MachFunction* f) : f_(f) {}
  VCode& vcode() { return f_->vcode; }
  VReg NewInt() { return f_->vcode.NewVReg(RegClass::kInt); }
  VReg NewFloat() { return f_->vcode.NewVReg(RegClass::kFloat); }

  // Generic: appends `inst` with `ops` (slot k = ops[k]); memory operands
  // (if any) are appended after `ops` and `inst.mem` is patched.
  uint32_t Emit(Inst inst, absl::Span<const Operand> ops, const Addr* addr = nullptr,
                RegSet clobbers = RegSet());

  void Args(absl::Span<const VReg> vregs, absl::Span<const PReg> regs);
  void MovRR(VReg src, VReg dst, int size = 8);
  void MovImm(VReg dst, int64_t imm, int size = 8);
  void Load(LoadKind k, VReg dst, const Addr& a, uint8_t trap = kNoTrap);
  void Store(StoreKind k, VReg src, const Addr& a, uint8_t trap = kNoTrap);
  void StoreImm(int size, int32_t imm, const Addr& a, uint8_t trap = kNoTrap);
  void Lea(VReg dst, const Addr& a, int size = 8);
  void AluRR(AluOp op, VReg dst, VReg src, int size = 8);
  void AluRI(AluOp op, VReg dst, int32_t imm, int size = 8);
  void AluRM(AluOp op, VReg dst, const Addr& a, int size, uint8_t trap = kNoTrap);
  void Imul3(VReg dst, VReg src, int32_t imm, int size = 8);
  void Cmp(VReg a, VReg b, int size = 8);
  void Test(VReg a, VReg b, int size = 8);
  void CmpImm(VReg a, int32_t imm, int size = 8);
  void TestImm(VReg a, int32_t imm, int size = 8);
  void CmpMem(VReg a, const Addr& m, int size, uint8_t trap = kNoTrap);
  void ShiftRC(ShiftOp op, VReg dst, VReg count, int size = 8);
  void ShiftRI(ShiftOp op, VReg dst, uint8_t amount, int size = 8);
  void Neg(VReg dst, int size = 8);
  void Not(VReg dst, int size = 8);
  void Ext(LoadKind k, VReg src, VReg dst);
  void Div(DivKind k, VReg dividend, VReg divisor, VReg result, int size, bool checks = true);
  // hi = the high half of a * b (signed: imul, else mul).
  void MulHigh(bool is_signed, VReg a, VReg b, VReg hi, int size = 8);
  // Threads (bytes: 1/2/4/8 accessed). `dst` invalid: the old value is
  // not needed.
  void AtomicRmw(AtomicOp op, int bytes, VReg src, VReg dst, const Addr& a, uint8_t trap);
  void AtomicCas(int bytes, VReg expected, VReg replacement, VReg dst, const Addr& a,
                 uint8_t trap);
  void AtomicStore(int bytes, VReg src, const Addr& a, uint8_t trap);
  void Fence();
  void Setcc(Cond cc, VReg dst);
  void Cmov(Cond cc, VReg dst, VReg src, int size = 8);
  void XmmCmov(Cond cc, VReg dst, VReg src);
  void Jmp(uint32_t target, absl::Span<const VReg> args = {});
  void Jcc(Cond cc, uint32_t taken, absl::Span<const VReg> taken_args, uint32_t not_taken,
           absl::Span<const VReg> not_taken_args);
  void BrTable(VReg index, uint32_t default_block, absl::Span<const uint32_t> targets);
  void Ret(absl::Span<const VReg> vals, absl::Span<const PReg> regs);
  void Trap(abi::TrapCode code);
  void TrapIf(Cond cc, abi::TrapCode code);
  // `popped`: stack-argument bytes the callee pops (CallDest::popped_bytes).
  void CallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                 absl::Span<const PReg> arg_regs, absl::Span<const VReg> rets,
                 absl::Span<const PReg> ret_regs, RegSet clobbers, int32_t popped = 0);
  void CallInd(VReg target, absl::Span<const VReg> args, absl::Span<const PReg> arg_regs,
               absl::Span<const VReg> rets, absl::Span<const PReg> ret_regs,
               RegSet clobbers, int32_t popped = 0);
  void ReturnCallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                       absl::Span<const PReg> arg_regs, int32_t popped = 0);
  void ReturnCallInd(VReg target, absl::Span<const VReg> args,
                     absl::Span<const PReg> arg_regs, int32_t popped = 0);
  void BitCount(int which, VReg src, VReg dst, int size);
  // BMI1 / BMI2 (CpuFeatures::bmi1 / bmi2).
  void Andn(VReg a, VReg b, VReg dst, int size);  // dst = ~a & b
  void ShiftX(ShiftOp op, VReg src, VReg count, VReg dst, int size);  // shl / shr / sar
  void Rorx(VReg src, VReg dst, uint8_t amount, int size);
  void Bls(int which, VReg src, VReg dst, int size);  // 0 blsr, 1 blsi
  void BitScan(int which, VReg src, VReg dst, int size);
  void PopcntSoft(VReg src, VReg dst, int size);
  void XmmMov(VReg src, VReg dst);
  void XmmRR(SseOp op, VReg dst, VReg src, int size);
  void XmmRM(SseOp op, VReg dst, const Addr& a, int size, uint8_t trap = kNoTrap);
  void XmmSqrt(VReg src, VReg dst, int size);
  void XmmRound(VReg src, VReg dst, int size, int mode);
  void Ucomis(VReg a, VReg b, int size);
  void CvtIntToFloat(VReg src, int src_size, VReg dst, int dst_size);
  void CvtU64ToFloat(VReg src, VReg dst, int dst_size);
  void CvtFloatFloat(VReg src, VReg dst, int dst_size);
  void CvtFloatToInt(FloatToIntKind k, VReg src, int float_size, VReg dst, int int_size);
  void MovToXmm(VReg src, VReg dst, int size);
  void MovFromXmm(VReg src, VReg dst, int size);
  void XmmConst(VReg dst, uint64_t bits, int size);
  void XmmMinMax(bool is_max, VReg lhs, VReg rhs_dst, int size);

 private:
  MachFunction* f_;
  std::vector<Operand> ops_;  // scratch
};

// Text of one instruction for debugging ("alu_rr.add.8 r0, r1").
std::string InstToString(const MachFunction& f, uint32_t i);

}  // namespace kiln::isa::x64

#endif  // KILN_CODEGEN_ISA_X64_INST_H_
