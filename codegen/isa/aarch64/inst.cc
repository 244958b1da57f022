#include "codegen/isa/aarch64/inst.h"

#include "absl/strings/str_cat.h"

namespace kiln::isa::aarch64 {

const char* OpName(Op op) {
  switch (op) {
#define KILN_A64_INST(name, text, flags) \
  case Op::k##name:                      \
    return text;
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_INST
  }
  return "?";
}

uint16_t OpVCodeFlags(Op op) {
  switch (op) {
#define KILN_A64_INST(name, text, flags) \
  case Op::k##name:                      \
    return flags;
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_INST
  }
  return 0;
}

const char* VecOpName(VecOp op) {
  switch (op) {
#define KILN_A64_VOP(name, text) \
  case VecOp::k##name:           \
    return text;
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_VOP
  }
  return "?";
}

const char* AtomicOpName(AtomicOp op) {
  switch (op) {
#define KILN_A64_ATOMIC(name, text) \
  case AtomicOp::k##name:           \
    return text;
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_ATOMIC
  }
  return "?";
}

VecArr FullArr(int lane_bytes) {
  return lane_bytes == 1 ? VecArr::k16B : lane_bytes == 2 ? VecArr::k8H
         : lane_bytes == 4 ? VecArr::k4S : VecArr::k2D;
}
VecArr HalfArr(int lane_bytes) {
  return lane_bytes == 1 ? VecArr::k8B : lane_bytes == 2 ? VecArr::k4H : VecArr::k2S;
}
VecArr ElemArr(int lane_bytes) {
  return lane_bytes == 1 ? VecArr::kB : lane_bytes == 2 ? VecArr::kH
         : lane_bytes == 4 ? VecArr::kS : VecArr::kD;
}

const char* CondName(Cond c) {
  static const char* const kNames[] = {"eq", "ne", "hs", "lo", "mi", "pl", "vs",
                                       "vc", "hi", "ls", "ge", "lt", "gt", "le"};
  return c <= kCondLe ? kNames[c] : "?";
}

uint32_t Builder::Emit(Inst inst, absl::Span<const Operand> ops, const Addr* addr,
                       RegSet clobbers) {
  ops_.assign(ops.begin(), ops.end());
  if (addr != nullptr) {
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
template <typename E>
uint8_t U8(E e) {
  return static_cast<uint8_t>(e);
}
}  // namespace

void Builder::Args(absl::Span<const VReg> vregs, absl::Span<const PReg> regs) {
  std::vector<Operand> ops;
  for (size_t k = 0; k < vregs.size(); ++k) ops.push_back(Operand::Def(vregs[k]).Fixed(regs[k]));
  Emit(Make(Op::kArgs), ops);
}
void Builder::MovRR(VReg src, VReg dst) {
  Emit(Make(Op::kMovRR), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::MovImm(VReg dst, int64_t imm, int size) {
  Emit(Make(Op::kMovImm, size, 0, imm), {Operand::Def(dst)});
}
void Builder::Load(LoadKind k, VReg dst, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kLoad, 8, U8(k));
  i.trap = trap;
  Emit(i, {Operand::Def(dst)}, &a);
}
void Builder::Store(StoreKind k, VReg src, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kStore, 8, U8(k));
  i.trap = trap;
  Emit(i, {Operand::Use(src)}, &a);
}
void Builder::SpAddr(VReg dst, int32_t offset) {
  Emit(Make(Op::kSpAddr, 8, 0, offset), {Operand::Def(dst)});
}
void Builder::AluRRR(AluOp op, VReg a, VReg b, VReg dst, int size) {
  Emit(Make(Op::kAluRRR, size, U8(op)), {Operand::Use(a), Operand::Use(b), Operand::Def(dst)});
}
void Builder::AluRRI(AluOp op, VReg a, int64_t imm, VReg dst, int size) {
  Emit(Make(Op::kAluRRI, size, U8(op), imm), {Operand::Use(a), Operand::Def(dst)});
}
void Builder::Unary(UnaryOp op, VReg src, VReg dst, int size) {
  Emit(Make(Op::kUnary, size, U8(op)), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Popcnt(VReg src, VReg dst, int size) {
  Emit(Make(Op::kPopcnt, size), {Operand::Use(src), Operand::Def(dst), Operand::EarlyDef(NewFloat())});
}
void Builder::Div(DivKind k, VReg dividend, VReg divisor, VReg dst, int size,
                  bool zero_check, bool overflow_check) {
  Emit(Make(Op::kDiv, size, U8(k), (zero_check ? 2 : 0) | (overflow_check ? 1 : 0)),
       {Operand::Use(dividend), Operand::Use(divisor), Operand::EarlyDef(dst),
        Operand::EarlyDef(NewInt())});
}
void Builder::Cmp(VReg a, VReg b, int size) {
  Emit(Make(Op::kCmpRR, size), {Operand::Use(a), Operand::Use(b)});
}
void Builder::CmpImm(VReg a, int32_t imm, int size) {
  Emit(Make(Op::kCmpRI, size, 0, imm), {Operand::Use(a)});
}
void Builder::Cset(Cond cc, VReg dst) {
  Inst i = Make(Op::kCset, 4);
  i.cc = cc;
  Emit(i, {Operand::Def(dst)});
}
void Builder::Csel(Cond cc, VReg if_true, VReg if_false, VReg dst, int size) {
  Inst i = Make(Op::kCsel, size);
  i.cc = cc;
  Emit(i, {Operand::Use(if_true), Operand::Use(if_false), Operand::Def(dst)});
}
void Builder::FCsel(Cond cc, VReg if_true, VReg if_false, VReg dst, int size) {
  Inst i = Make(Op::kFCsel, size);
  i.cc = cc;
  Emit(i, {Operand::Use(if_true), Operand::Use(if_false), Operand::Def(dst)});
}
void Builder::Jmp(uint32_t target, absl::Span<const VReg> args) {
  Emit(Make(Op::kJmp), {});
  f_->vcode.AddEdge(target, args);
}
void Builder::Bcond(Cond cc, uint32_t taken, absl::Span<const VReg> taken_args,
                    uint32_t not_taken, absl::Span<const VReg> not_taken_args) {
  Inst i = Make(Op::kBcond);
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
// The bytes a call's callee pops ride in the otherwise unused memory operand.
Inst WithPopped(Inst i, int32_t popped) {
  i.mem.disp = popped;
  return i;
}
}  // namespace
void Builder::CallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                        absl::Span<const PReg> arg_regs, absl::Span<const VReg> rets,
                        absl::Span<const PReg> ret_regs, RegSet clobbers, int32_t popped) {
  const std::vector<Operand> ops = CallOperands(kInvalidVReg, args, arg_regs, rets, ret_regs);
  Emit(WithPopped(Make(Op::kCallKnown, 8, U8(kind), index), popped), ops, nullptr, clobbers);
}
void Builder::CallInd(VReg target, absl::Span<const VReg> args, absl::Span<const PReg> arg_regs,
                      absl::Span<const VReg> rets, absl::Span<const PReg> ret_regs,
                      RegSet clobbers, int32_t popped) {
  Emit(WithPopped(Make(Op::kCallInd), popped),
       CallOperands(target, args, arg_regs, rets, ret_regs), nullptr, clobbers);
}
void Builder::ReturnCallKnown(RelocKind kind, uint32_t index, absl::Span<const VReg> args,
                              absl::Span<const PReg> arg_regs, int32_t popped) {
  Emit(WithPopped(Make(Op::kReturnCallKnown, 8, U8(kind), index), popped),
       FixedUses(args, arg_regs));
}
void Builder::ReturnCallInd(VReg target, absl::Span<const VReg> args,
                            absl::Span<const PReg> arg_regs, int32_t popped) {
  std::vector<Operand> ops;
  ops.push_back(Operand::Use(target));
  for (size_t k = 0; k < args.size(); ++k) ops.push_back(Operand::Use(args[k]).Fixed(arg_regs[k]));
  Emit(WithPopped(Make(Op::kReturnCallInd), popped), ops);
}
void Builder::AtomicLoad(int bytes, VReg dst, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kAtomicLoad, bytes);
  i.trap = trap;
  Emit(i, {Operand::Def(dst), Operand::EarlyDef(NewInt())}, &a);
}
void Builder::AtomicStore(int bytes, VReg src, const Addr& a, uint8_t trap) {
  Inst i = Make(Op::kAtomicStore, bytes);
  i.trap = trap;
  Emit(i, {Operand::Use(src), Operand::EarlyDef(NewInt())}, &a);
}
// The loop writes dst and the temporaries before its last read of the
// sources (it may run again): all early defs.
void Builder::AtomicRmw(AtomicOp op, int bytes, VReg src, VReg dst, const Addr& a,
                        uint8_t trap) {
  Inst i = Make(Op::kAtomicRmw, bytes, U8(op));
  i.trap = trap;
  Emit(i,
       {Operand::Use(src), Operand::EarlyDef(dst), Operand::EarlyDef(NewInt()),
        Operand::EarlyDef(NewInt()), Operand::EarlyDef(NewInt())},
       &a);
}
void Builder::AtomicCas(int bytes, VReg expected, VReg replacement, VReg dst, const Addr& a,
                        uint8_t trap) {
  Inst i = Make(Op::kAtomicCas, bytes);
  i.trap = trap;
  Emit(i,
       {Operand::Use(expected), Operand::Use(replacement), Operand::EarlyDef(dst),
        Operand::EarlyDef(NewInt()), Operand::EarlyDef(NewInt()), Operand::EarlyDef(NewInt())},
       &a);
}
void Builder::Fence() { Emit(Make(Op::kFence), {}); }
void Builder::FMov(VReg src, VReg dst) {
  Emit(Make(Op::kFMov), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::FRRR(FBinOp op, VReg a, VReg b, VReg dst, int size) {
  Emit(Make(Op::kFRRR, size, U8(op)), {Operand::Use(a), Operand::Use(b), Operand::Def(dst)});
}
void Builder::FRR(FUnOp op, VReg src, VReg dst, int size) {
  Emit(Make(Op::kFRR, size, U8(op)), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::FCmp(VReg a, VReg b, int size) {
  Emit(Make(Op::kFCmp, size), {Operand::Use(a), Operand::Use(b)});
}
void Builder::FConst(VReg dst, uint64_t bits, int size) {
  Emit(Make(Op::kFConst, size, 0, static_cast<int64_t>(bits)), {Operand::Def(dst)});
}
void Builder::IntToFloat(bool is_unsigned, VReg src, int int_size, VReg dst, int float_size) {
  Emit(Make(Op::kIntToFloat, float_size, is_unsigned ? 1 : 0, int_size),
       {Operand::Use(src), Operand::Def(dst)});
}
void Builder::FloatToFloat(VReg src, VReg dst, int dst_size) {
  Emit(Make(Op::kFloatToFloat, dst_size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::FloatToInt(FloatToIntKind k, VReg src, int float_size, VReg dst, int int_size) {
  Emit(Make(Op::kFloatToInt, int_size, U8(k), float_size),
       {Operand::Use(src), Operand::EarlyDef(dst), Operand::EarlyDef(NewFloat())});
}
void Builder::MovToFpr(VReg src, VReg dst, int size) {
  Emit(Make(Op::kMovToFpr, size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::MovFromFpr(VReg src, VReg dst, int size) {
  Emit(Make(Op::kMovFromFpr, size), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::Copysign(VReg mag, VReg sign, VReg dst, int size) {
  Emit(Make(Op::kCopysign, size),
       {Operand::Use(mag), Operand::Use(sign), Operand::EarlyDef(dst),
        Operand::EarlyDef(NewInt()), Operand::EarlyDef(NewInt())});
}

void Builder::VConst(VReg dst, uint64_t lo, uint64_t hi) {
  f_->vconsts.push_back({lo, hi});
  Emit(Make(Op::kVConst, 16, 0, static_cast<int64_t>(f_->vconsts.size() - 1)),
       {Operand::Def(dst)});
}
void Builder::VMov(VReg src, VReg dst) {
  Emit(Make(Op::kVMov, 16), {Operand::Use(src), Operand::Def(dst)});
}
namespace {
Inst MakeVec(Op op, VecOp v, VecArr d, VecArr s, int64_t imm = 0) {
  Inst i = Make(op, static_cast<int>(d), U8(v), imm);
  i.cc = U8(s);
  return i;
}
}  // namespace
void Builder::VecRRR(VecOp op, VecArr d, VecArr s, VReg a, VReg b, VReg dst) {
  Emit(MakeVec(Op::kVecRRR, op, d, s), {Operand::Use(a), Operand::Use(b), Operand::Def(dst)});
}
void Builder::VecRR(VecOp op, VecArr d, VecArr s, VReg src, VReg dst) {
  Emit(MakeVec(Op::kVecRR, op, d, s), {Operand::Use(src), Operand::Def(dst)});
}
void Builder::VecRRImm(VecOp op, VecArr d, VecArr s, VReg src, int64_t imm, VReg dst) {
  Inst i = MakeVec(Op::kVecRR, op, d, s, imm);
  i.cc |= kVecHasImm;
  Emit(i, {Operand::Use(src), Operand::Def(dst)});
}
void Builder::VecRRRMod(VecOp op, VecArr d, VecArr s, VReg a, VReg b, VReg dst) {
  Emit(MakeVec(Op::kVecRRRMod, op, d, s), {Operand::Use(a), Operand::Use(b), Operand::Mod(dst)});
}
void Builder::VecRRMod(VecOp op, VecArr d, VecArr s, VReg src, VReg dst) {
  Emit(MakeVec(Op::kVecRRMod, op, d, s), {Operand::Use(src), Operand::Mod(dst)});
}
void Builder::VecRRModImm(VecOp op, VecArr d, VecArr s, VReg src, int64_t imm, VReg dst) {
  Inst i = MakeVec(Op::kVecRRMod, op, d, s, imm);
  i.cc |= kVecHasImm;
  Emit(i, {Operand::Use(src), Operand::Mod(dst)});
}
void Builder::VecDup(VecArr d, VReg gpr, VReg dst) {
  Emit(MakeVec(Op::kVecDup, VecOp::kAdd, d, d), {Operand::Use(gpr), Operand::Def(dst)});
}
void Builder::VecDupLane(VecArr d, VecArr elem, int lane, VReg src, VReg dst) {
  Emit(MakeVec(Op::kVecDupLane, VecOp::kAdd, d, elem, lane),
       {Operand::Use(src), Operand::Def(dst)});
}
void Builder::VecInsGpr(VecArr elem, int lane, VReg gpr, VReg dst) {
  Emit(MakeVec(Op::kVecInsGpr, VecOp::kAdd, elem, elem, lane),
       {Operand::Use(gpr), Operand::Mod(dst)});
}
void Builder::VecInsLane(VecArr elem, int lane, VReg src, VReg dst) {
  Emit(MakeVec(Op::kVecInsLane, VecOp::kAdd, elem, elem, lane),
       {Operand::Use(src), Operand::Mod(dst)});
}
void Builder::VecExtract(VecArr elem, int lane, VReg src, VReg gpr) {
  Emit(MakeVec(Op::kVecExtract, VecOp::kAdd, elem, elem, lane),
       {Operand::Use(src), Operand::Def(gpr)});
}
void Builder::VSelect(Cond cc, VReg if_true, VReg if_false, VReg dst) {
  Inst i = Make(Op::kVSelect, 16);
  i.cc = cc;
  Emit(i, {Operand::Use(if_true), Operand::Use(if_false), Operand::EarlyDef(dst)});
}

namespace {
bool IsVecOpKind(Op op) {
  return op == Op::kVecRRR || op == Op::kVecRR || op == Op::kVecRRRMod || op == Op::kVecRRMod;
}
}  // namespace

std::string InstToString(const MachFunction& f, uint32_t i) {
  const Inst& inst = f.insts[i];
  const bool has_cond = inst.op == Op::kBcond || inst.op == Op::kCset || inst.op == Op::kCsel ||
                        inst.op == Op::kFCsel || inst.op == Op::kTrapIf || inst.op == Op::kVSelect;
  const char* suffix = has_cond ? CondName(static_cast<Cond>(inst.cc))
                       : IsVecOpKind(inst.op) ? VecOpName(static_cast<VecOp>(inst.sub))
                       : inst.op == Op::kAtomicRmw ? AtomicOpName(static_cast<AtomicOp>(inst.sub))
                                                   : "";
  return InstText(OpName(inst.op), inst.size, suffix, f.vcode.operands(i), inst.imm);
}

}  // namespace kiln::isa::aarch64
