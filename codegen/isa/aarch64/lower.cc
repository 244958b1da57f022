#include "codegen/isa/aarch64/lower.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/simd.h"
#include "codegen/isa/aarch64/abi.h"
#include "codegen/isa/aarch64/lower_simd.h"
#include "codegen/isa/lower_driver.h"

namespace kiln::isa::aarch64 {
namespace {

using ir::Opcode;
using ir::Type;
using ir::Value;

int Sz(Type t) { return ir::TypeBits(t) == 64 ? 8 : 4; }
bool IsFpr(Type t) { return ir::IsFloat(t) || t == Type::kV128; }

Cond IntCond(ir::IntCC cc) {
  switch (cc) {
    case ir::IntCC::kEq: return kCondEq;
    case ir::IntCC::kNe: return kCondNe;
    case ir::IntCC::kSlt: return kCondLt;
    case ir::IntCC::kSle: return kCondLe;
    case ir::IntCC::kSgt: return kCondGt;
    case ir::IntCC::kSge: return kCondGe;
    case ir::IntCC::kUlt: return kCondLo;
    case ir::IntCC::kUle: return kCondLs;
    case ir::IntCC::kUgt: return kCondHi;
    case ir::IntCC::kUge: return kCondHs;
  }
  return kCondEq;
}

// After fcmp, these conditions are false for unordered operands (and
// their inversions true), as wasm's comparisons need.
Cond FloatCond(ir::FloatCC cc) {
  switch (cc) {
    case ir::FloatCC::kEq: return kCondEq;
    case ir::FloatCC::kNe: return kCondNe;
    case ir::FloatCC::kLt: return kCondMi;
    case ir::FloatCC::kLe: return kCondLs;
    case ir::FloatCC::kGt: return kCondGt;
    case ir::FloatCC::kGe: return kCondGe;
    case ir::FloatCC::kOrd: return kCondVc;
    case ir::FloatCC::kUno: return kCondVs;
  }
  return kCondEq;
}

LoadKind LoadKindFor(Type t) {
  switch (t) {
    case Type::kI32: return LoadKind::kI32;
    case Type::kF32: return LoadKind::kF32;
    case Type::kF64: return LoadKind::kF64;
    case Type::kV128: return LoadKind::kV128;
    default: return LoadKind::kI64;
  }
}
StoreKind StoreKindFor(Type t) {
  switch (t) {
    case Type::kI32: return StoreKind::kI32;
    case Type::kF32: return StoreKind::kF32;
    case Type::kF64: return StoreKind::kF64;
    case Type::kV128: return StoreKind::kV128;
    default: return StoreKind::kI64;
  }
}

// add/sub/cmp/cmn take a 12-bit unsigned immediate; either sign folds.
bool FitsAddImm(int64_t v) { return v > -4096 && v < 4096; }

class Lowerer final : public LowerBackend {
 public:
  Lowerer(const ir::Function& f, MachFunction* mf)
      : f_(f), mf_(mf), b_(mf), d_(f, &mf->vcode, Aarch64Abi(), "aarch64") {}

  absl::Status Run() {
    mf_->name = f_.name();
    if (absl::Status s = CheckV128(); !s.ok()) return s;
    if (!f_.entry_block().valid()) return Err("function has no blocks");
    return d_.Run(*this);
  }

  // ---- LowerBackend ----
  bool Skip(ir::Inst i) const override { return sunk_[i.index] || dead_[i.index]; }
  void MaterializeConst(VReg r, Type t, int64_t imm) override {
    if (t == Type::kF32) {
      b_.FConst(r, static_cast<uint32_t>(imm), 4);
    } else if (t == Type::kF64) {
      b_.FConst(r, static_cast<uint64_t>(imm), 8);
    } else {
      b_.MovImm(r, t == Type::kI32 ? static_cast<uint32_t>(imm) : imm, Sz(t));
    }
  }

  // ---- LowerBackend: ABI placement (the driver places; these emit) ----
  void FinishInst() override { Mark(); }
  void EmitArgs(absl::Span<const VReg> defs, absl::Span<const PReg> regs) override {
    b_.Args(defs, regs);
  }
  // AAPCS64 leaves the upper half of a 32-bit argument or result unspecified.
  void EmitZeroExtendI32(VReg src, VReg dst) override {
    b_.Unary(UnaryOp::kUxtw, src, dst, 4);
  }
  void EmitFrameLoad(FrameArea area, int32_t disp, Type t, VReg dst) override {
    b_.Load(LoadKindFor(t), dst, FrameAddr(area, disp));
  }
  void EmitFrameStore(FrameArea area, int32_t disp, Type t, VReg src) override {
    b_.Store(StoreKindFor(t), src, FrameAddr(area, disp));
  }
  void EmitOutgoingAddr(VReg dst, int32_t disp) override { b_.SpAddr(dst, disp); }
  void EmitStoreToPtr(VReg base, int32_t disp, Type t, VReg src) override {
    b_.Store(StoreKindFor(t), src, Addr{base, kInvalidVReg, disp});
  }
  void EmitCall(const CallDest& dest, absl::Span<const VReg> args,
                absl::Span<const PReg> arg_regs, absl::Span<const VReg> rets,
                absl::Span<const PReg> ret_regs, RegSet clobbers) override {
    if (dest.known) {
      b_.CallKnown(RelocKindOf(dest), dest.index, args, arg_regs, rets, ret_regs, clobbers,
                   dest.popped_bytes);
    } else {
      b_.CallInd(dest.target, args, arg_regs, rets, ret_regs, clobbers, dest.popped_bytes);
    }
  }
  // Wasm callees pop their stack arguments (abi::aarch64::CallConv), so
  // every return_call is a jump (LowerDriver::MarkTailCalls).
  bool SupportsTailCalls() const override { return true; }
  void EmitReturnCall(const CallDest& dest, absl::Span<const VReg> args,
                      absl::Span<const PReg> arg_regs) override {
    if (dest.known) {
      b_.ReturnCallKnown(RelocKindOf(dest), dest.index, args, arg_regs, dest.popped_bytes);
    } else {
      b_.ReturnCallInd(dest.target, args, arg_regs, dest.popped_bytes);
    }
  }
  void EmitRet(absl::Span<const VReg> vals, absl::Span<const PReg> regs) override {
    b_.Ret(vals, regs);
  }

 private:
  static RelocKind RelocKindOf(const CallDest& dest) {
    return dest.builtin ? RelocKind::kBuiltin : RelocKind::kWasmFunction;
  }
  static Addr FrameAddr(FrameArea area, int32_t disp) {
    Addr a;
    a.special_base = area == FrameArea::kIncomingArgs ? kBaseFp : kBaseSp;
    a.disp = disp;
    return a;
  }
  // v128 needs 16-byte spill slots.
  absl::Status CheckV128() {
    if (!d_.UsesV128()) return absl::OkStatus();
    mf_->wide_float_slots = true;
    return d_.CheckV128Arguments();
  }

  absl::Status Err(absl::string_view msg) {
    return absl::InvalidArgumentError(
        absl::StrCat("aarch64 lowering of ", f_.name(), ": ", msg));
  }

  VReg V(Value v) { return d_.V(v); }
  Type T(Value v) const { return d_.T(v); }
  ir::Inst DefInst(Value v) const { return d_.DefInst(v); }
  bool ConstOf(Value v, int64_t* out) const { return d_.ConstOf(v, out); }
  // The constant of an i32 value as the instruction sees it (sign-extended
  // 32 bits), of an i64 value as is.
  bool AddImmOf(Value v, int64_t* out) const {
    int64_t c;
    if (!ConstOf(v, &c)) return false;
    if (T(v) == Type::kI32) c = static_cast<int32_t>(c);
    if (!FitsAddImm(c)) return false;
    *out = c;
    return true;
  }

  // ---- analysis: dead code, fusion decisions ----
  void Analyze() override {
    const uint32_t ni = f_.num_insts();
    sunk_.assign(ni, 0);
    dead_.assign(ni, 0);
    imm_mask_.assign(ni, 0);
    reg_uses_ = d_.total_uses();
    const std::vector<ir::Block>& order = d_.order();
    for (size_t k = order.size(); k-- > 0;) {
      std::vector<ir::Inst> insts;
      for (ir::Inst i : f_.insts(order[k])) insts.push_back(i);
      for (size_t j = insts.size(); j-- > 0;) AnalyzeInst(insts[j]);
    }
  }

  bool SingleUseInBlock(Value v, ir::Inst user, Opcode want, ir::Inst* prod) const {
    ir::Inst d = DefInst(v);
    if (!d.valid() || f_.opcode(d) != want || d_.total_uses()[v.index] != 1) return false;
    if (f_.inst_block(d) != f_.inst_block(user) || sunk_[d.index]) return false;
    *prod = d;
    return true;
  }

  void FoldImm(ir::Inst i, int k, bool shift) {
    int64_t c;
    Value a = f_.args(i)[k];
    if (shift ? ConstOf(a, &c) : AddImmOf(a, &c)) {
      imm_mask_[i.index] |= 1 << k;
      --reg_uses_[a.index];
    }
  }

  void Sink(ir::Inst prod) {
    sunk_[prod.index] = 1;
    --reg_uses_[f_.first_result(prod).index];
  }

  void AnalyzeInst(ir::Inst i) {
    if (sunk_[i.index]) return;
    const Opcode op = f_.opcode(i);
    const uint8_t fl = ir::GetOpcodeInfo(op).flags;
    if ((fl & (ir::kCanTrap | ir::kSideEffects | ir::kTerminator | ir::kCall)) == 0) {
      bool used = false;
      for (Value r : f_.results(i)) used |= reg_uses_[r.index] > 0;
      if (!used) {
        dead_[i.index] = 1;
        for (Value a : f_.args(i)) --reg_uses_[a.index];
        return;
      }
    }
    auto args = f_.args(i);
    switch (op) {
      case Opcode::kIadd: case Opcode::kIsub: case Opcode::kIcmp:
        FoldImm(i, 1, false);
        break;
      case Opcode::kIshl: case Opcode::kUshr: case Opcode::kSshr:
      case Opcode::kRotl: case Opcode::kRotr:
        FoldImm(i, 1, true);
        break;
      case Opcode::kBrif: case Opcode::kTrapz: case Opcode::kTrapnz: case Opcode::kSelect: {
        ir::Inst p;
        if (SingleUseInBlock(args[0], i, Opcode::kIcmp, &p)) {
          Sink(p);
          FoldImm(p, 1, false);
        } else if (SingleUseInBlock(args[0], i, Opcode::kFcmp, &p)) {
          Sink(p);
        }
        break;
      }
      default:
        break;
    }
  }

  // ---- helpers ----
  void Mark() {
    while (mf_->srclocs.size() < mf_->insts.size()) mf_->srclocs.push_back(d_.cur_srcloc());
  }

  Cond EmitIcmp(ir::Inst cmp) {
    auto args = f_.args(cmp);
    const int sz = Sz(T(args[0]));
    if (imm_mask_[cmp.index] & 2) {
      int64_t imm = 0;
      AddImmOf(args[1], &imm);
      b_.CmpImm(V(args[0]), static_cast<int32_t>(imm), sz);
    } else {
      b_.Cmp(V(args[0]), V(args[1]), sz);
    }
    return IntCond(static_cast<ir::IntCC>(f_.inst(cmp).code));
  }
  Cond EmitFcmp(ir::Inst cmp) {
    auto args = f_.args(cmp);
    b_.FCmp(V(args[0]), V(args[1]), Sz(T(args[0])));
    return FloatCond(static_cast<ir::FloatCC>(f_.inst(cmp).code));
  }
  // Flags for "c != 0" where c may be a sunk compare.
  Cond EmitCondition(Value c) {
    ir::Inst d = DefInst(c);
    if (d.valid() && sunk_[d.index]) {
      return f_.opcode(d) == Opcode::kIcmp ? EmitIcmp(d) : EmitFcmp(d);
    }
    b_.CmpImm(V(c), 0, Sz(T(c)));
    return kCondNe;
  }

  // dst = a op b; `imm_k` = 1 when operand 1 was folded as an immediate.
  void LowerIntBinary(ir::Inst i, AluOp alu) {
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    if (imm_mask_[i.index] & 2) {
      int64_t c = 0;
      if (alu == AluOp::kAdd || alu == AluOp::kSub) {
        AddImmOf(args[1], &c);
      } else {
        ConstOf(args[1], &c);
        c &= 8 * sz - 1;
      }
      b_.AluRRI(alu, V(args[0]), c, V(res), sz);
      return;
    }
    b_.AluRRR(alu, V(args[0]), V(args[1]), V(res), sz);
  }

  // rotl x, n == rotr x, -n (the register form masks the amount).
  void LowerRotl(ir::Inst i) {
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    if (imm_mask_[i.index] & 2) {
      int64_t c = 0;
      ConstOf(args[1], &c);
      b_.AluRRI(AluOp::kRor, V(args[0]), (8 * sz - (c & (8 * sz - 1))) & (8 * sz - 1),
                V(res), sz);
      return;
    }
    VReg n = b_.NewInt();
    b_.Unary(UnaryOp::kNeg, V(args[1]), n, sz);
    b_.AluRRR(AluOp::kRor, V(args[0]), n, V(res), sz);
  }

  // dst = a op imm for the *_imm opcodes.
  void LowerBinaryImm(ir::Inst i, AluOp alu) {
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    int64_t imm = f_.inst(i).imm;
    if (sz == 4) imm = static_cast<int32_t>(imm);
    VReg a = V(f_.args(i)[0]);
    if (alu == AluOp::kLsl || alu == AluOp::kLsr || alu == AluOp::kAsr) {
      b_.AluRRI(alu, a, imm & (8 * sz - 1), V(res), sz);
    } else if (alu == AluOp::kAdd && FitsAddImm(imm)) {
      b_.AluRRI(AluOp::kAdd, a, imm, V(res), sz);
    } else {
      VReg t = b_.NewInt();
      b_.MovImm(t, sz == 4 ? static_cast<uint32_t>(imm) : imm, sz);
      b_.AluRRR(alu, a, t, V(res), sz);
    }
  }

  absl::Status LowerInst(ir::Inst i) override {
    const Opcode op = f_.opcode(i);
    const ir::InstData& d = f_.inst(i);
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const uint8_t oob = static_cast<uint8_t>(abi::TrapCode::kMemoryOutOfBounds);
    switch (op) {
      case Opcode::kIconst: case Opcode::kF32const: case Opcode::kF64const:
        MaterializeConst(V(res), T(res), d.imm);
        break;
      case Opcode::kIadd: LowerIntBinary(i, AluOp::kAdd); break;
      case Opcode::kIsub: LowerIntBinary(i, AluOp::kSub); break;
      case Opcode::kImul: LowerIntBinary(i, AluOp::kMul); break;
      case Opcode::kBand: LowerIntBinary(i, AluOp::kAnd); break;
      case Opcode::kBor: LowerIntBinary(i, AluOp::kOrr); break;
      case Opcode::kBxor: LowerIntBinary(i, AluOp::kEor); break;
      case Opcode::kIshl: LowerIntBinary(i, AluOp::kLsl); break;
      case Opcode::kUshr: LowerIntBinary(i, AluOp::kLsr); break;
      case Opcode::kSshr: LowerIntBinary(i, AluOp::kAsr); break;
      case Opcode::kRotr: LowerIntBinary(i, AluOp::kRor); break;
      case Opcode::kRotl: LowerRotl(i); break;
      case Opcode::kIaddImm: LowerBinaryImm(i, AluOp::kAdd); break;
      case Opcode::kImulImm: LowerBinaryImm(i, AluOp::kMul); break;
      case Opcode::kBandImm: LowerBinaryImm(i, AluOp::kAnd); break;
      case Opcode::kBorImm: LowerBinaryImm(i, AluOp::kOrr); break;
      case Opcode::kBxorImm: LowerBinaryImm(i, AluOp::kEor); break;
      case Opcode::kIshlImm: LowerBinaryImm(i, AluOp::kLsl); break;
      case Opcode::kUshrImm: LowerBinaryImm(i, AluOp::kLsr); break;
      case Opcode::kSshrImm: LowerBinaryImm(i, AluOp::kAsr); break;
      case Opcode::kSdiv: case Opcode::kUdiv: case Opcode::kSrem: case Opcode::kUrem: {
        const DivKind k = op == Opcode::kSdiv   ? DivKind::kSdiv
                          : op == Opcode::kUdiv ? DivKind::kUdiv
                          : op == Opcode::kSrem ? DivKind::kSrem
                                                : DivKind::kUrem;
        int64_t c = 0;
        const bool is_const = ConstOf(args[1], &c);
        if (is_const && Sz(T(res)) == 4) c = static_cast<int32_t>(c);
        const bool zero_check = !(is_const && c != 0);
        // srem cannot overflow: sdiv gives INT_MIN and msub then 0.
        const bool ovf_check = k == DivKind::kSdiv && !(is_const && c != -1);
        b_.Div(k, V(args[0]), V(args[1]), V(res), Sz(T(res)), zero_check, ovf_check);
        break;
      }
      case Opcode::kClz:
        b_.Unary(UnaryOp::kClz, V(args[0]), V(res), Sz(T(res)));
        break;
      case Opcode::kCtz:
        b_.Unary(UnaryOp::kCtz, V(args[0]), V(res), Sz(T(res)));
        break;
      case Opcode::kPopcnt:
        b_.Popcnt(V(args[0]), V(res), Sz(T(res)));
        break;
      case Opcode::kSextend8:
        b_.Unary(UnaryOp::kSxtb, V(args[0]), V(res), Sz(T(res)));
        break;
      case Opcode::kSextend16:
        b_.Unary(UnaryOp::kSxth, V(args[0]), V(res), Sz(T(res)));
        break;
      case Opcode::kSextend32: case Opcode::kSextend:
        b_.Unary(UnaryOp::kSxtw, V(args[0]), V(res), 8);
        break;
      case Opcode::kUextend:
        b_.MovRR(V(args[0]), V(res));  // upper half already zero
        break;
      case Opcode::kIreduce:
        b_.Unary(UnaryOp::kUxtw, V(args[0]), V(res), 4);
        break;
      case Opcode::kIcmp:
        b_.Cset(EmitIcmp(i), V(res));
        break;
      case Opcode::kFcmp:
        b_.Cset(EmitFcmp(i), V(res));
        break;
      case Opcode::kFadd: case Opcode::kFsub: case Opcode::kFmul: case Opcode::kFdiv:
      case Opcode::kFmin: case Opcode::kFmax: {
        const FBinOp fo = op == Opcode::kFadd   ? FBinOp::kAdd
                          : op == Opcode::kFsub ? FBinOp::kSub
                          : op == Opcode::kFmul ? FBinOp::kMul
                          : op == Opcode::kFdiv ? FBinOp::kDiv
                          : op == Opcode::kFmin ? FBinOp::kMin
                                                : FBinOp::kMax;
        b_.FRRR(fo, V(args[0]), V(args[1]), V(res), Sz(T(res)));
        break;
      }
      case Opcode::kFabs: case Opcode::kFneg: case Opcode::kSqrt: case Opcode::kCeil:
      case Opcode::kFloor: case Opcode::kTrunc: case Opcode::kNearest: {
        const FUnOp fo = op == Opcode::kFabs    ? FUnOp::kAbs
                         : op == Opcode::kFneg  ? FUnOp::kNeg
                         : op == Opcode::kSqrt  ? FUnOp::kSqrt
                         : op == Opcode::kCeil  ? FUnOp::kCeil
                         : op == Opcode::kFloor ? FUnOp::kFloor
                         : op == Opcode::kTrunc ? FUnOp::kTrunc
                                                : FUnOp::kNearest;
        b_.FRR(fo, V(args[0]), V(res), Sz(T(res)));
        break;
      }
      case Opcode::kFcopysign:
        b_.Copysign(V(args[0]), V(args[1]), V(res), Sz(T(res)));
        break;
      case Opcode::kFcvtToSint: case Opcode::kFcvtToUint:
      case Opcode::kFcvtToSintSat: case Opcode::kFcvtToUintSat: {
        const FloatToIntKind k = op == Opcode::kFcvtToSint      ? FloatToIntKind::kSigned
                                 : op == Opcode::kFcvtToUint    ? FloatToIntKind::kUnsigned
                                 : op == Opcode::kFcvtToSintSat ? FloatToIntKind::kSignedSat
                                                                : FloatToIntKind::kUnsignedSat;
        b_.FloatToInt(k, V(args[0]), Sz(T(args[0])), V(res), Sz(T(res)));
        break;
      }
      case Opcode::kFcvtFromSint: case Opcode::kFcvtFromUint:
        b_.IntToFloat(op == Opcode::kFcvtFromUint, V(args[0]), Sz(T(args[0])), V(res),
                      Sz(T(res)));
        break;
      case Opcode::kFpromote:
        b_.FloatToFloat(V(args[0]), V(res), 8);
        break;
      case Opcode::kFdemote:
        b_.FloatToFloat(V(args[0]), V(res), 4);
        break;
      case Opcode::kBitcast:
        if (ir::IsFloat(T(res))) {
          b_.MovToFpr(V(args[0]), V(res), Sz(T(res)));
        } else {
          b_.MovFromFpr(V(args[0]), V(res), Sz(T(res)));
        }
        break;
      case Opcode::kSelect: {
        VReg t = V(args[1]), e = V(args[2]);
        Cond cc = EmitCondition(args[0]);
        if (T(res) == Type::kV128) {
          b_.VSelect(cc, t, e, V(res));
        } else if (IsFpr(T(res))) {
          b_.FCsel(cc, t, e, V(res), Sz(T(res)));
        } else {
          b_.Csel(cc, t, e, V(res), 8);
        }
        break;
      }
      case Opcode::kLoad: {
        Addr a{V(args[0]), kInvalidVReg, d.imm};
        b_.Load(LoadKindFor(d.ctrl_type), V(res), a,
                (d.code & ir::kMemNotrap) ? kNoTrap : oob);
        break;
      }
      case Opcode::kStore: {
        Addr a{V(args[1]), kInvalidVReg, d.imm};
        b_.Store(StoreKindFor(T(args[0])), V(args[0]), a,
                 (d.code & ir::kMemNotrap) ? kNoTrap : oob);
        break;
      }
      case Opcode::kHeapLoad: case Opcode::kHeapUload8: case Opcode::kHeapSload8:
      case Opcode::kHeapUload16: case Opcode::kHeapSload16: case Opcode::kHeapUload32:
      case Opcode::kHeapSload32: {
        const bool i64 = d.ctrl_type == Type::kI64;
        LoadKind k;
        switch (op) {
          case Opcode::kHeapUload8: k = LoadKind::kU8; break;
          case Opcode::kHeapSload8: k = i64 ? LoadKind::kS8x64 : LoadKind::kS8x32; break;
          case Opcode::kHeapUload16: k = LoadKind::kU16; break;
          case Opcode::kHeapSload16: k = i64 ? LoadKind::kS16x64 : LoadKind::kS16x32; break;
          case Opcode::kHeapUload32: k = LoadKind::kI32; break;
          case Opcode::kHeapSload32: k = LoadKind::kS32x64; break;
          default: k = LoadKindFor(d.ctrl_type); break;
        }
        b_.Load(k, V(res), Addr{V(args[0]), V(args[1]), d.imm}, oob);
        break;
      }
      case Opcode::kHeapStore: case Opcode::kHeapIstore8: case Opcode::kHeapIstore16:
      case Opcode::kHeapIstore32: {
        StoreKind k = op == Opcode::kHeapIstore8    ? StoreKind::kI8
                      : op == Opcode::kHeapIstore16 ? StoreKind::kI16
                      : op == Opcode::kHeapIstore32 ? StoreKind::kI32
                                                    : StoreKindFor(T(args[0]));
        b_.Store(k, V(args[0]), Addr{V(args[1]), V(args[2]), d.imm}, oob);
        break;
      }
      case Opcode::kAtomicLoad:
        b_.AtomicLoad(1 << d.code, V(res), Addr{V(args[0]), V(args[1]), d.imm}, oob);
        break;
      case Opcode::kAtomicStore:
        b_.AtomicStore(1 << d.code, V(args[0]), Addr{V(args[1]), V(args[2]), d.imm}, oob);
        break;
      case Opcode::kAtomicRmwAdd: case Opcode::kAtomicRmwSub: case Opcode::kAtomicRmwAnd:
      case Opcode::kAtomicRmwOr: case Opcode::kAtomicRmwXor: case Opcode::kAtomicRmwXchg: {
        const AtomicOp aop = op == Opcode::kAtomicRmwAdd   ? AtomicOp::kAdd
                             : op == Opcode::kAtomicRmwSub ? AtomicOp::kSub
                             : op == Opcode::kAtomicRmwAnd ? AtomicOp::kAnd
                             : op == Opcode::kAtomicRmwOr  ? AtomicOp::kOrr
                             : op == Opcode::kAtomicRmwXor ? AtomicOp::kEor
                                                           : AtomicOp::kXchg;
        b_.AtomicRmw(aop, 1 << d.code, V(args[0]), V(res), Addr{V(args[1]), V(args[2]), d.imm},
                     oob);
        break;
      }
      case Opcode::kAtomicCas:
        b_.AtomicCas(1 << d.code, V(args[0]), V(args[1]), V(res),
                     Addr{V(args[2]), V(args[3]), d.imm}, oob);
        break;
      case Opcode::kFence:
        b_.Fence();
        break;
      case Opcode::kTrap:
        b_.Trap(static_cast<abi::TrapCode>(d.code));
        break;
      case Opcode::kTrapz: case Opcode::kTrapnz: {
        Cond cc = EmitCondition(args[0]);
        b_.TrapIf(op == Opcode::kTrapz ? InvertCond(cc) : cc, static_cast<abi::TrapCode>(d.code));
        break;
      }
      case Opcode::kJump: {
        const ir::BlockCall& bc = f_.block_calls(i)[0];
        if (bc.block == f_.entry_block()) return Err("branch to the entry block");
        std::vector<VReg> a;
        for (Value v : f_.List(bc.args)) a.push_back(V(v));
        b_.Jmp(d_.vblock(bc.block), a);
        break;
      }
      case Opcode::kBrif: {
        auto calls = f_.block_calls(i);
        if (calls[0].block == f_.entry_block() || calls[1].block == f_.entry_block()) {
          return Err("branch to the entry block");
        }
        std::vector<VReg> ta, ea;
        for (Value v : f_.List(calls[0].args)) ta.push_back(V(v));
        for (Value v : f_.List(calls[1].args)) ea.push_back(V(v));
        Cond cc = EmitCondition(args[0]);
        b_.Bcond(cc, d_.vblock(calls[0].block), ta, d_.vblock(calls[1].block), ea);
        break;
      }
      case Opcode::kBrTable: {
        auto calls = f_.block_calls(i);
        std::vector<uint32_t> targets;
        for (size_t k = 1; k < calls.size(); ++k) {
          if (calls[k].args.size != 0) return Err("br_table target with arguments");
          targets.push_back(d_.vblock(calls[k].block));
        }
        if (calls[0].args.size != 0) return Err("br_table default with arguments");
        b_.BrTable(V(args[0]), d_.vblock(calls[0].block), targets);
        break;
      }
      default:
        if (ir::IsVectorOp(op)) {
          absl::Status st = LowerSimd(b_, f_, i, [this](Value v) { return V(v); });
          if (!st.ok()) return st;
          break;
        }
        return absl::UnimplementedError(absl::StrCat("aarch64 lowering of ", f_.name(),
                                                     ": opcode ", ir::OpcodeName(op)));
    }
    Mark();
    return absl::OkStatus();
  }

  const ir::Function& f_;
  MachFunction* mf_;
  Builder b_;
  LowerDriver d_;
  std::vector<uint32_t> reg_uses_;
  std::vector<uint8_t> sunk_, dead_, imm_mask_;
};

}  // namespace

absl::StatusOr<MachFunction> Lower(const ir::Function& f, const CompileContext& ctx) {
  (void)ctx;  // nothing optional in the ARMv8.0 scalar subset yet
  MachFunction mf;
  Lowerer l(f, &mf);
  absl::Status st = l.Run();
  if (!st.ok()) return st;
  return mf;
}

std::string PrintMachFunction(const MachFunction& f) {
  return PrintVCode(f.vcode, [&f](uint32_t i) { return InstToString(f, i); });
}

}  // namespace kiln::isa::aarch64
