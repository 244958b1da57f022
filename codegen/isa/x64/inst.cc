#include "codegen/isa/x64/inst.h"

#include "absl/strings/str_cat.h"

namespace kiln::isa::x64 {

const char* OpName(Op op) {
  switch (op) {
#define KILN_X64_INST(name, text, flags) \
  case Op::k##name:                      \
    return text;
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_INST
  }
  return "?";
}

uint16_t OpVCodeFlags(Op op) {
  switch (op) {
#define KILN_X64_INST(name, text, flags) \
  case Op::k##name:                      \
    return flags;
#include "codegen/isa/x64/inst.def"
#undef KILN_X64_INST
  }
  return 0;
}

Cond InvertCond(Cond c) {
  if (c == kCondFEq) return kCondFNe;
  if (c == kCondFNe) return kCondFEq;
  return static_cast<Cond>(c ^ 1);
}

uint32_t Builder::Emit(Inst inst, absl::Span<const Operand> ops, const Addr* addr,
                       RegSet clobbers) {
  ops_.assign(ops.begin(), ops.end());
  if (addr != nullptr) {
    inst.mem.shift = addr->shift;
    inst.mem.disp = addr->disp;
    if (addr->special_base != kNoReg) {
      inst.mem.base = addr->special_base;
    } else if (addr->base != kInvalidVReg) {
      inst.mem.base = static_cast<int8_t>(ops_.size());
      ops_.push_back(Operand::Use(addr->base));
    }
    if (addr->index != kInvalidVReg) {
      inst.mem.index = static_cast<int8_t>(ops_.size());
      ops_.push_back(Operand::Use(addr->index));
    }
  }
  f_->insts.push_back(inst);
  return f_->vcode.AddInst(ops_, OpVCodeFlags(inst.op), clobbers);
}

namespace {
Inst Make(Op op, int size = 8, uint8_t sub = 0, int64_t imm = 0) {
  Inst i;
  i.op = op;
  i.size = static_cast<uint8_t>(size);
  i.sub = sub;
  i.imm = imm;
  return i;
}
}  // namespace

void Builder::Args(absl::Span<const VReg> vregs, absl::Span<const PReg> regs) {
  std::vector<Operand> ops;
  for (size_t k = 0; k < vregs.size(); ++k) ops.push_back(Operand::Def(vregs[k]).Fixed(regs[k]));
  Emit(Make(Op::kArgs), ops);
}
void Builder::MovRR(VReg src, VReg dst, int size) {
  Emit(Make(Op::kMovRR, size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::MovImm(VReg dst, int64_t imm, int size) {
  Emit(Make(Op::kMovImm, size, 0, imm), {Operand::Def(dst)});
}
void Builder::Load(LoadKind k, VReg dst, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kLoad, 8, static_cast<uint8_t>(k));
  i.trap = trap;
  Emit(i, {Operand::Def(dst)}, &a);
}
void Builder::Store(StoreKind k, VReg src, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kStore, 8, static_cast<uint8_t>(k));
  i.trap = trap;
  Emit(i, {Operand::Use(src)}, &a);
}
void Builder::StoreImm(int size, int32_t imm, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kStoreImm, size, 0, imm);
  i.trap = trap;
  Emit(i, {}, &a);
}
void Builder::Lea(VReg dst, const Addr& a, int size) {
  Emit(Make(Op::kLea, size), {Operand::Def(dst)}, &a);
}
void Builder::AluRR(AluOp op, VReg dst, VReg src, int size) {
  Emit(Make(Op::kAluRR, size, static_cast<uint8_t>(op)), {Operand::Mod(dst), Operand::Use(src)});
}
void Builder::AluRI(AluOp op, VReg dst, int32_t imm, int size) {
  Emit(Make(Op::kAluRI, size, static_cast<uint8_t>(op), imm), {Operand::Mod(dst)});
}
void Builder::AluRM(AluOp op, VReg dst, const Addr& a, int size, uint8_t trap) {
  Inst i = Make(Op::kAluRM, size, static_cast<uint8_t>(op));
  i.trap = trap;
  Emit(i, {Operand::Mod(dst)}, &a);
}
void Builder::Imul3(VReg dst, VReg src, int32_t imm, int size) {
  Emit(Make(Op::kImul3, size, 0, imm), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Cmp(VReg a, VReg b, int size) {
  Emit(Make(Op::kCmpRR, size, 0), {Operand::Use(a), Operand::Use(b)});
}
void Builder::Test(VReg a, VReg b, int size) {
  Emit(Make(Op::kCmpRR, size, 1), {Operand::Use(a), Operand::Use(b)});
}
void Builder::CmpImm(VReg a, int32_t imm, int size) {
  Emit(Make(Op::kCmpRI, size, 0, imm), {Operand::Use(a)});
}
void Builder::TestImm(VReg a, int32_t imm, int size) {
  Emit(Make(Op::kCmpRI, size, 1, imm), {Operand::Use(a)});
}
void Builder::CmpMem(VReg a, const Addr& m, int size, uint8_t trap) {
  Inst i = Make(Op::kCmpRM, size, 0);
  i.trap = trap;
  Emit(i, {Operand::Use(a)}, &m);
}
void Builder::ShiftRC(ShiftOp op, VReg dst, VReg count, int size) {
  Emit(Make(Op::kShiftRC, size, static_cast<uint8_t>(op)),
       {Operand::Mod(dst), Operand::Use(count).Fixed(GprReg(kRcx))});
}
void Builder::ShiftRI(ShiftOp op, VReg dst, uint8_t amount, int size) {
  Emit(Make(Op::kShiftRI, size, static_cast<uint8_t>(op), amount), {Operand::Mod(dst)});
}
void Builder::Neg(VReg dst, int size) { Emit(Make(Op::kUnary, size, 0), {Operand::Mod(dst)}); }
void Builder::Not(VReg dst, int size) { Emit(Make(Op::kUnary, size, 1), {Operand::Mod(dst)}); }
void Builder::Ext(LoadKind k, VReg src, VReg dst) {
  Emit(Make(Op::kExt, 8, static_cast<uint8_t>(k)), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Div(DivKind k, VReg dividend, VReg divisor, VReg result, int size, bool checks) {
  const bool rem = k == DivKind::kUrem || k == DivKind::kSrem;
  VReg other = NewInt();
  Inst i = Make(Op::kDiv, size, static_cast<uint8_t>(k), checks ? 1 : 0);
  i.trap = static_cast<uint8_t>(abi::TrapCode::kIntegerDivisionByZero);
  Emit(i, {Operand::Use(dividend).Fixed(GprReg(kRax)), Operand::Use(divisor),
           Operand::Def(rem ? other : result).Fixed(GprReg(kRax)),
           Operand::EarlyDef(rem ? result : other).Fixed(GprReg(kRdx))});
}
void Builder::MulHigh(bool is_signed, VReg a, VReg b, VReg hi, int size) {
  Emit(Make(Op::kMulWide, size, is_signed ? 1 : 0),
       {Operand::Use(a).Fixed(GprReg(kRax)), Operand::Use(b),
        Operand::Def(hi).Fixed(GprReg(kRdx)), Operand::Def(NewInt()).Fixed(GprReg(kRax))});
}
void Builder::AtomicRmw(AtomicOp op, int bytes, VReg src, VReg dst, const Addr& a,
                        uint8_t trap) {
  const bool unused = dst == kInvalidVReg;
  Inst i = Make(Op::kAtomicRmw, bytes, static_cast<uint8_t>(op), unused ? 1 : 0);
  i.trap = trap;
  if (unused && op != AtomicOp::kXchg) {
    Emit(i, {Operand::Use(src)}, &a);
    return;
  }
  if (unused) dst = NewInt();
  // Early defs: dst and tmp are written while src and the address are
  // still read.
  if (op == AtomicOp::kAnd || op == AtomicOp::kOr || op == AtomicOp::kXor) {
    Emit(i, {Operand::Use(src), Operand::EarlyDef(dst).Fixed(GprReg(kRax)),
             Operand::EarlyDef(NewInt())},
         &a);
  } else {
    Emit(i, {Operand::Use(src), Operand::EarlyDef(dst)}, &a);
  }
}
void Builder::AtomicCas(int bytes, VReg expected, VReg replacement, VReg dst, const Addr& a,
                        uint8_t trap) {
  Inst i = Make(Op::kAtomicCas, bytes);
  i.trap = trap;
  Emit(i, {Operand::Use(expected).Fixed(GprReg(kRax)), Operand::Use(replacement),
           Operand::Def(dst).Fixed(GprReg(kRax))},
       &a);
}
void Builder::AtomicStore(int bytes, VReg src, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kAtomicStore, bytes);
  i.trap = trap;
  Emit(i, {Operand::Use(src), Operand::EarlyDef(NewInt())}, &a);
}
void Builder::Fence() { Emit(Make(Op::kFence), {}); }
void Builder::Setcc(Cond cc, VReg dst) {
  Inst i = Make(Op::kSetcc, 4);
  i.cc = cc;
  if (cc == kCondFEq || cc == kCondFNe) {
    Emit(i, {Operand::EarlyDef(dst), Operand::EarlyDef(NewInt())});
  } else {
    Emit(i, {Operand::Def(dst)});
  }
}
void Builder::Cmov(Cond cc, VReg dst, VReg src, int size) {
  Inst i = Make(Op::kCmov, size);
  i.cc = cc;
  Emit(i, {Operand::Mod(dst), Operand::Use(src)});
}
void Builder::XmmCmov(Cond cc, VReg dst, VReg src) {
  Inst i = Make(Op::kXmmCmov, 8);
  i.cc = cc;
  Emit(i, {Operand::Mod(dst), Operand::Use(src)});
}
void Builder::Jmp(uint32_t target, absl::Span<const VReg> args) {
  Emit(Make(Op::kJmp), {});
  f_->vcode.AddEdge(target, args);
}
void Builder::Jcc(Cond cc, uint32_t taken, absl::Span<const VReg> taken_args,
                  uint32_t not_taken, absl::Span<const VReg> not_taken_args) {
  Inst i = Make(Op::kJcc);
  i.cc = cc;
  Emit(i, {});
  f_->vcode.AddEdge(taken, taken_args);
  f_->vcode.AddEdge(not_taken, not_taken_args);
}
void Builder::BrTable(VReg index, uint32_t default_block, absl::Span<const uint32_t> targets) {
  Emit(Make(Op::kBrTable, 4), {Operand::Use(index), Operand::EarlyDef(NewInt()),
                               Operand::EarlyDef(NewInt())});
  f_->vcode.AddEdge(default_block, {});
  for (uint32_t t : targets) f_->vcode.AddEdge(t, {});
}
void Builder::Ret(absl::Span<const VReg> vals, absl::Span<const PReg> regs) {
  Emit(Make(Op::kRet), FixedUses(vals, regs));
}
void Builder::Trap(abi::TrapCode code) {
  Emit(Make(Op::kTrap, 8, 0, static_cast<int64_t>(code)), {});
}
void Builder::TrapIf(Cond cc, abi::TrapCode code) {
  Inst i = Make(Op::kTrapIf, 8, 0, static_cast<int64_t>(code));
  i.cc = cc;
  Emit(i, {});
}
namespace {
// The bytes a call's callee pops ride in the otherwise unused amode.
Inst WithPopped(Inst i, int32_t popped) {
  i.mem.disp = popped;
  return i;
}
}  // namespace
void Builder::CallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                        absl::Span<const PReg> arg_regs, absl::Span<const VReg> rets,
                        absl::Span<const PReg> ret_regs, RegSet clobbers, int32_t popped) {
  const std::vector<Operand> ops = CallOperands(kInvalidVReg, args, arg_regs, rets, ret_regs);
  Emit(WithPopped(Make(Op::kCallKnown, 8, static_cast<uint8_t>(kind), index), popped), ops,
       nullptr, clobbers);
}
void Builder::CallInd(VReg target, absl::Span<const VReg> args, absl::Span<const PReg> arg_regs,
                      absl::Span<const VReg> rets, absl::Span<const PReg> ret_regs,
                      RegSet clobbers, int32_t popped) {
  Emit(WithPopped(Make(Op::kCallInd), popped),
       CallOperands(target, args, arg_regs, rets, ret_regs), nullptr, clobbers);
}
void Builder::ReturnCallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                              absl::Span<const PReg> arg_regs, int32_t popped) {
  std::vector<Operand> ops;
  for (size_t k = 0; k < args.size(); ++k) ops.push_back(Operand::Use(args[k]).Fixed(arg_regs[k]));
  Emit(WithPopped(Make(Op::kReturnCallKnown, 8, static_cast<uint8_t>(kind), index), popped),
       ops);
}
void Builder::ReturnCallInd(VReg target, absl::Span<const VReg> args,
                            absl::Span<const PReg> arg_regs, int32_t popped) {
  std::vector<Operand> ops;
  ops.push_back(Operand::Use(target));
  for (size_t k = 0; k < args.size(); ++k) ops.push_back(Operand::Use(args[k]).Fixed(arg_regs[k]));
  Emit(WithPopped(Make(Op::kReturnCallInd), popped), ops);
}
void Builder::BitCount(int which, VReg src, VReg dst, int size) {
  Emit(Make(Op::kBitCount, size, static_cast<uint8_t>(which)),
       {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Andn(VReg a, VReg b, VReg dst, int size) {
  Emit(Make(Op::kAndn, size), {Operand::Use(a), Operand::Use(b), Operand::Def(dst)});
}
void Builder::ShiftX(ShiftOp op, VReg src, VReg count, VReg dst, int size) {
  Emit(Make(Op::kShiftX, size, static_cast<uint8_t>(op)),
       {Operand::Use(src), Operand::Use(count), Operand::Def(dst)});
}
void Builder::Rorx(VReg src, VReg dst, uint8_t amount, int size) {
  Emit(Make(Op::kRorx, size, 0, amount), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Bls(int which, VReg src, VReg dst, int size) {
  Emit(Make(Op::kBls, size, static_cast<uint8_t>(which)), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::BitScan(int which, VReg src, VReg dst, int size) {
  Emit(Make(Op::kBitScan, size, static_cast<uint8_t>(which)),
       {Operand::Use(src), Operand::Def(dst), Operand::Def(NewInt())});
}
void Builder::PopcntSoft(VReg src, VReg dst, int size) {
  Emit(Make(Op::kPopcntSoft, size),
       {Operand::Use(src), Operand::EarlyDef(dst), Operand::EarlyDef(NewInt()),
        Operand::EarlyDef(NewInt())});
}
void Builder::XmmMov(VReg src, VReg dst) {
  Emit(Make(Op::kXmmMov), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::XmmRR(SseOp op, VReg dst, VReg src, int size) {
  Emit(Make(Op::kXmmRR, size, static_cast<uint8_t>(op)), {Operand::Mod(dst), Operand::Use(src)});
}
void Builder::XmmRM(SseOp op, VReg dst, const Addr& a, int size, uint8_t trap) {
  Inst i = Make(Op::kXmmRM, size, static_cast<uint8_t>(op));
  i.trap = trap;
  Emit(i, {Operand::Mod(dst)}, &a);
}
void Builder::XmmSqrt(VReg src, VReg dst, int size) {
  Emit(Make(Op::kXmmSqrt, size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::XmmRound(VReg src, VReg dst, int size, int mode) {
  Emit(Make(Op::kXmmRound, size, 0, mode), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Ucomis(VReg a, VReg b, int size) {
  Emit(Make(Op::kUcomis, size), {Operand::Use(a), Operand::Use(b)});
}
void Builder::CvtIntToFloat(VReg src, int src_size, VReg dst, int dst_size) {
  Emit(Make(Op::kCvtIntToFloat, dst_size, static_cast<uint8_t>(src_size)),
       {Operand::Use(src), Operand::EarlyDef(dst)});
}
void Builder::CvtU64ToFloat(VReg src, VReg dst, int dst_size) {
  Emit(Make(Op::kCvtU64ToFloat, dst_size),
       {Operand::Use(src), Operand::EarlyDef(dst), Operand::EarlyDef(NewInt()),
        Operand::EarlyDef(NewInt())});
}
void Builder::CvtFloatFloat(VReg src, VReg dst, int dst_size) {
  Emit(Make(Op::kCvtFloatFloat, dst_size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::CvtFloatToInt(FloatToIntKind k, VReg src, int float_size, VReg dst,
                            int int_size) {
  Emit(Make(Op::kCvtFloatToInt, int_size, static_cast<uint8_t>(k), float_size),
       {Operand::Use(src), Operand::EarlyDef(dst), Operand::EarlyDef(NewFloat()),
        Operand::EarlyDef(NewFloat()), Operand::EarlyDef(NewInt())});
}
void Builder::MovToXmm(VReg src, VReg dst, int size) {
  Emit(Make(Op::kMovToXmm, size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::MovFromXmm(VReg src, VReg dst, int size) {
  Emit(Make(Op::kMovFromXmm, size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::XmmConst(VReg dst, uint64_t bits, int size) {
  Emit(Make(Op::kXmmConst, size, 0, static_cast<int64_t>(bits)),
       {Operand::Def(dst), Operand::Def(NewInt())});
}
void Builder::XmmMinMax(bool is_max, VReg lhs, VReg rhs_dst, int size) {
  Emit(Make(Op::kXmmMinMax, size, is_max ? 1 : 0), {Operand::Use(lhs), Operand::Mod(rhs_dst)});
}

std::string InstToString(const MachFunction& f, uint32_t i) {
  const Inst& inst = f.insts[i];
  return InstText(OpName(inst.op), inst.size, "", f.vcode.operands(i), inst.imm);
}

}  // namespace kiln::isa::x64
