#include "codegen/isa/x64/lower.h"

#include <algorithm>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/simd.h"
#include "codegen/isa/div_magic.h"
#include "codegen/isa/lower_driver.h"
#include "codegen/isa/x64/abi.h"
#include "codegen/isa/x64/lower_simd.h"

namespace kiln::isa::x64 {
namespace {

using ir::Opcode;
using ir::Type;
using ir::Value;

int Sz(Type t) { return ir::TypeBits(t) == 64 ? 8 : 4; }
// Values that live in xmm registers: floats and v128.
bool IsXmm(Type t) { return ir::IsFloat(t) || t == Type::kV128; }

Cond IntCond(ir::IntCC cc) {
  switch (cc) {
    case ir::IntCC::kEq: return kCondE;
    case ir::IntCC::kNe: return kCondNE;
    case ir::IntCC::kSlt: return kCondL;
    case ir::IntCC::kSle: return kCondLE;
    case ir::IntCC::kSgt: return kCondG;
    case ir::IntCC::kSge: return kCondGE;
    case ir::IntCC::kUlt: return kCondB;
    case ir::IntCC::kUle: return kCondBE;
    case ir::IntCC::kUgt: return kCondA;
    case ir::IntCC::kUge: return kCondAE;
  }
  return kCondE;
}

// ucomis operand order and the resulting condition for a wasm float compare.
struct FloatCmp {
  bool swap;
  Cond cond;
};
FloatCmp FloatCond(ir::FloatCC cc) {
  switch (cc) {
    case ir::FloatCC::kEq: return {false, kCondFEq};
    case ir::FloatCC::kNe: return {false, kCondFNe};
    case ir::FloatCC::kLt: return {true, kCondA};
    case ir::FloatCC::kLe: return {true, kCondAE};
    case ir::FloatCC::kGt: return {false, kCondA};
    case ir::FloatCC::kGe: return {false, kCondAE};
    case ir::FloatCC::kOrd: return {false, kCondNP};
    case ir::FloatCC::kUno: return {false, kCondP};
  }
  return {false, kCondFEq};
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

bool FitsImm32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

// The BMI1 forms of band (Lowerer::MatchBmi).
enum BmiKind { kBmiAndn = 0, kBmiBlsr = 1, kBmiBlsi = 2 };

// x64 instruction selection; block order, value -> vreg mapping, constant
// rematerialization and use counts come from the generic LowerDriver.
class Lowerer final : public LowerBackend {
 public:
  Lowerer(const ir::Function& f, const CompileContext& ctx, MachFunction* mf)
      : f_(f), ctx_(ctx), mf_(mf), b_(mf), d_(f, &mf->vcode, X64Abi(), "x64") {}

  absl::Status Run() {
    mf_->name = f_.name();
    if (absl::Status s = CheckV128(); !s.ok()) return s;
    if (!f_.entry_block().valid()) return Err("function has no blocks");
    return d_.Run(*this);
  }

  // ---- LowerBackend ----
  bool Skip(ir::Inst i) const override { return sunk_[i.index] || dead_[i.index]; }
  bool IsDead(ir::Inst i) const override { return dead_[i.index]; }
  void BeforeInst(ir::Inst i) override { MaterializeConstOperands(i); }
  // A float constant takes mov r, imm64 + movq (or xorps for +0.0).
  bool HoistLoopFloatConsts() const override { return true; }
  bool SplitLoopLiveIns() const override { return true; }
  void EmitCopy(VReg src, VReg dst) override { Copy(src, dst); }
  void MaterializeConst(VReg r, Type t, int64_t imm) override {
    if (t == Type::kF32) {
      b_.XmmConst(r, static_cast<uint32_t>(imm), 4);
    } else if (t == Type::kF64) {
      b_.XmmConst(r, static_cast<uint64_t>(imm), 8);
    } else {
      b_.MovImm(r, t == Type::kI32 ? static_cast<uint32_t>(imm) : imm, Sz(t));
    }
  }

  // ---- LowerBackend: ABI placement (the driver places; these emit) ----
  bool SupportsTailCalls() const override { return true; }
  void FinishInst() override { Mark(); }
  void EmitArgs(absl::Span<const VReg> defs, absl::Span<const PReg> regs) override {
    b_.Args(defs, regs);
  }
  void EmitZeroExtendI32(VReg src, VReg dst) override { b_.Ext(LoadKind::kI32, src, dst); }
  void EmitI32Copy(VReg src, VReg dst) override { b_.MovRR(src, dst, 8); }
  // The i32 operands x86-64 reads with 32-bit instructions (or as cl, or
  // through a 32-bit result: a 32-bit cmov writes its whole destination
  // either way). Not: heap indices (64-bit address registers), uextend (a
  // move), unsigned i32 -> float (a 64-bit cvtsi2sd), block arguments
  // (the driver follows them), calls, returns and everything else.
  bool ReadsLow32Only(ir::Inst user, size_t arg) const override {
    // Division by a constant multiplies the dividend's whole register.
    if (UnsignedConstDivisor(user, nullptr)) return false;
    switch (f_.opcode(user)) {
      case Opcode::kIadd: case Opcode::kIsub: case Opcode::kImul:
      case Opcode::kBand: case Opcode::kBor: case Opcode::kBxor:
      case Opcode::kIaddImm: case Opcode::kImulImm: case Opcode::kBandImm:
      case Opcode::kBorImm: case Opcode::kBxorImm:
      case Opcode::kIshl: case Opcode::kUshr: case Opcode::kSshr:
      case Opcode::kRotl: case Opcode::kRotr:
      case Opcode::kIshlImm: case Opcode::kUshrImm: case Opcode::kSshrImm:
      case Opcode::kSdiv: case Opcode::kUdiv: case Opcode::kSrem: case Opcode::kUrem:
      case Opcode::kClz: case Opcode::kCtz:
      case Opcode::kSextend8: case Opcode::kSextend16: case Opcode::kSextend32:
      case Opcode::kSextend:
      case Opcode::kIcmp: case Opcode::kSelect: case Opcode::kBrif:
      case Opcode::kTrapz: case Opcode::kTrapnz:
      case Opcode::kFcvtFromSint: case Opcode::kBitcast:
        return true;
      case Opcode::kHeapStore: case Opcode::kHeapIstore8: case Opcode::kHeapIstore16:
      case Opcode::kStore:
        return arg == 0;  // the stored value, not the address
      default:
        return false;
    }
  }
  void EmitFrameLoad(FrameArea area, int32_t disp, Type t, VReg dst) override {
    b_.Load(LoadKindFor(t), dst, FrameAddr(area, disp));
  }
  void EmitFrameStore(FrameArea area, int32_t disp, Type t, VReg src) override {
    b_.Store(StoreKindFor(t), src, FrameAddr(area, disp));
  }
  void EmitOutgoingAddr(VReg dst, int32_t disp) override {
    b_.Lea(dst, FrameAddr(FrameArea::kOutgoingArgs, disp));
  }
  void EmitStoreToPtr(VReg base, int32_t disp, Type t, VReg src) override {
    b_.Store(StoreKindFor(t), src, Addr{base, kInvalidVReg, 0, disp});
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
  static Addr FrameAddr(FrameArea area, int32_t disp) {
    Addr a;
    a.special_base = area == FrameArea::kIncomingArgs ? kBaseRbp : kBaseRsp;
    a.disp = disp;
    return a;
  }
  static RelocKind RelocKindOf(const CallDest& dest) {
    return dest.builtin ? RelocKind::kBuiltin : RelocKind::kWasmFunction;
  }
  // v128 needs SSE4.1 and 16-byte spill slots.
  absl::Status CheckV128() {
    if (!d_.UsesV128()) return absl::OkStatus();
    if (!ctx_.features.sse41) {
      return absl::UnimplementedError(absl::StrCat("x64 lowering of ", f_.name(),
                                                   ": v128 needs SSE4.1"));
    }
    mf_->wide_float_slots = true;
    return d_.CheckV128Arguments();
  }

  absl::Status Err(absl::string_view msg) {
    return absl::InvalidArgumentError(absl::StrCat("x64 lowering of ", f_.name(), ": ", msg));
  }

  bool IsConstValue(Value v) const { return d_.IsConstValue(v); }
  VReg ConstReg(Value v) { return d_.ConstReg(v); }

  // Materializes the constants instruction i (and a compare sunk into it)
  // reads from registers, before any of its code: a constant emitted
  // between a compare and its consumer could clobber the flags (xor).
  void MaterializeConstOperands(ir::Inst i) {
    auto args = f_.args(i);
    for (size_t k = 0; k < args.size(); ++k) {
      if ((imm_mask_[i.index] >> k) & 1) continue;
      if (IsConstValue(args[k])) ConstReg(args[k]);
      ir::Inst d = DefInst(args[k]);
      if (d.valid() && sunk_[d.index]) MaterializeConstOperands(d);
    }
    for (const ir::BlockCall& bc : f_.block_calls(i)) {
      for (Value a : f_.List(bc.args)) {
        if (IsConstValue(a)) ConstReg(a);
      }
    }
  }

  VReg V(Value v) { return d_.V(v); }
  Type T(Value v) const { return d_.T(v); }
  ir::Inst DefInst(Value v) const { return d_.DefInst(v); }
  bool ConstOf(Value v, int64_t* out) const { return d_.ConstOf(v, out); }
  bool Imm32Of(Value v, int32_t* out) const {
    int64_t c;
    if (!ConstOf(v, &c) || !FitsImm32(c)) return false;
    *out = static_cast<int32_t>(c);
    return true;
  }

  // Whether i is a udiv / urem by a nonzero constant (lowered without a
  // divide instruction); *divisor gets it, truncated to the operation's width.
  bool UnsignedConstDivisor(ir::Inst i, uint64_t* divisor) const {
    const Opcode op = f_.opcode(i);
    if (op != Opcode::kUdiv && op != Opcode::kUrem) return false;
    int64_t c;
    if (!ConstOf(f_.args(i)[1], &c)) return false;
    uint64_t d = static_cast<uint64_t>(c);
    if (Sz(T(f_.first_result(i))) == 4) d = static_cast<uint32_t>(d);
    if (d == 0) return false;
    if (divisor != nullptr) *divisor = d;
    return true;
  }

  // Whether i is an sdiv / srem by a constant other than 0 and -1 (lowered
  // without a divide instruction; 0 keeps idiv's fault, -1 its INT_MIN
  // check); *divisor gets it, sign-extended from the operation's width.
  bool SignedConstDivisor(ir::Inst i, int64_t* divisor) const {
    const Opcode op = f_.opcode(i);
    if (op != Opcode::kSdiv && op != Opcode::kSrem) return false;
    int64_t c;
    if (!ConstOf(f_.args(i)[1], &c)) return false;
    if (Sz(T(f_.first_result(i))) == 4) c = static_cast<int32_t>(c);
    if (c == 0 || c == -1) return false;
    if (divisor != nullptr) *divisor = c;
    return true;
  }

  // ---- analysis: use counts, dead code, fusion decisions ----
  void Analyze() override {
    const uint32_t ni = f_.num_insts();
    sunk_.assign(ni, 0);
    dead_.assign(ni, 0);
    imm_mask_.assign(ni, 0);
    mem_arg_.assign(ni, -1);
    lea_arg_.assign(ni, -1);
    carry_arg_.assign(ni, -1);
    bmi_.assign(ni, -1);
    cmp_fused_.assign(ni, 0);
    pos_.assign(ni, 0);
    barriers_before_.assign(ni, 0);
    passed_to_.clear();
    const std::vector<ir::Block>& order = d_.order();
    for (ir::Block blk : order) {
      uint32_t pos = 0, barriers = 0;
      for (ir::Inst i : f_.insts(blk)) {
        for (const ir::BlockCall& bc : f_.block_calls(i)) {
          auto bargs = f_.List(bc.args);
          auto params = f_.block_params(bc.block);
          for (size_t k = 0; k < bargs.size() && k < params.size(); ++k) {
            passed_to_.push_back({bargs[k].index, params[k].index});
          }
        }
        pos_[i.index] = pos++;
        barriers_before_[i.index] = barriers;
        const uint8_t fl = ir::GetOpcodeInfo(f_.opcode(i)).flags;
        if (fl & (ir::kCanTrap | ir::kSideEffects | ir::kCall)) ++barriers;
      }
    }
    std::sort(passed_to_.begin(), passed_to_.end());
    reg_uses_ = d_.total_uses();
    for (ir::Block blk : order) PlanCompareFusion(blk);
    for (size_t k = order.size(); k-- > 0;) {
      std::vector<ir::Inst> insts;
      for (ir::Inst i : f_.insts(order[k])) insts.push_back(i);
      for (size_t j = insts.size(); j-- > 0;) AnalyzeInst(insts[j]);
    }
  }

  // Whether a branch passes `v` to block parameter `param` (v becomes the
  // parameter's next value).
  bool PassedAsParam(Value v, Value param) const {
    return std::binary_search(passed_to_.begin(), passed_to_.end(),
                              std::make_pair(v.index, param.index));
  }

  bool SingleUseInBlock(Value v, ir::Inst user, Opcode want, ir::Inst* prod) const {
    ir::Inst d = DefInst(v);
    if (!d.valid() || f_.opcode(d) != want || d_.total_uses()[v.index] != 1) return false;
    if (f_.inst_block(d) != f_.inst_block(user) || sunk_[d.index]) return false;
    *prod = d;
    return true;
  }

  void FoldImm(ir::Inst i, int k) {
    int32_t imm = 0;
    if (Imm32Of(f_.args(i)[k], &imm)) {
      imm_mask_[i.index] |= 1 << k;
      --reg_uses_[f_.args(i)[k].index];
    }
  }

  void Sink(ir::Inst prod) {
    sunk_[prod.index] = 1;
    --reg_uses_[f_.first_result(prod).index];
  }

  // The shift of an ishl_imm, or of an ishl by a constant, that a lea can
  // scale by (1..3 after wasm's masking of the amount), else 0.
  uint8_t LeaScale(ir::Inst shl) const {
    int64_t amount;
    if (f_.opcode(shl) == Opcode::kIshlImm) {
      amount = f_.inst(shl).imm;
    } else if (!ConstOf(f_.args(shl)[1], &amount)) {
      return 0;
    }
    amount &= Sz(T(f_.first_result(shl))) * 8 - 1;
    return amount >= 1 && amount <= 3 ? static_cast<uint8_t>(amount) : 0;
  }

  // Whether v's register is still needed after its use by i: v has other
  // register uses, or is defined in another block (a loop-invariant value,
  // or one live across a loop's back edge, outlives every use in the loop).
  // Then a three-operand lea saves the copy a two-address add needs.
  bool StaysLive(Value v, ir::Inst i) const {
    if (reg_uses_[v.index] > 1) return true;
    if (IsConstValue(v)) return false;
    const ir::ValueData& d = f_.value(v);
    const uint32_t def_block = d.kind == ir::ValueDefKind::kParam
                                   ? d.def
                                   : f_.inst_block(ir::Inst(d.def)).index;
    return def_block != f_.inst_block(i).index;
  }

  bool TryFoldLoad(ir::Inst i, int k) {
    Value a = f_.args(i)[k];
    ir::Inst p;
    if (!SingleUseInBlock(a, i, Opcode::kHeapLoad, &p)) return false;
    if (f_.inst(p).ctrl_type != T(f_.first_result(i))) return false;
    if (barriers_before_[i.index] != barriers_before_[p.index] + 1) return false;
    if (f_.inst(p).imm > INT32_MAX) return false;
    mem_arg_[i.index] = static_cast<int8_t>(k);
    Sink(p);
    return true;
  }

  // Whether v is the constant `want` at v's width.
  bool IsConstAtWidth(Value v, int64_t want) const {
    int64_t c;
    if (!ConstOf(v, &c)) return false;
    const uint64_t mask = Sz(T(v)) == 4 ? 0xffffffffu : ~uint64_t{0};
    return (static_cast<uint64_t>(c) & mask) == (static_cast<uint64_t>(want) & mask);
  }

  // BMI1 forms of `band` whose operand k is a single-use value of its
  // block: x & (y ^ -1) -> andn; x & (x - 1) (or x + -1) -> blsr; x & (0 -
  // x) -> blsi. The operand's instruction is sunk into the band.
  bool MatchBmi(ir::Inst i) {
    auto args = f_.args(i);
    for (int k : {1, 0}) {
      ir::Inst p;
      int kind = -1;
      int const_slot = -1;
      if (SingleUseInBlock(args[k], i, Opcode::kBxor, &p) &&
          IsConstAtWidth(f_.args(p)[1], -1)) {
        kind = kBmiAndn;
        const_slot = 1;
      } else if (SingleUseInBlock(args[k], i, Opcode::kIsub, &p)) {
        if (f_.args(p)[0] == args[1 - k] && IsConstAtWidth(f_.args(p)[1], 1)) {
          kind = kBmiBlsr;
          const_slot = 1;
        } else if (f_.args(p)[1] == args[1 - k] && IsConstAtWidth(f_.args(p)[0], 0)) {
          kind = kBmiBlsi;
          const_slot = 0;
        }
      } else if (SingleUseInBlock(args[k], i, Opcode::kIadd, &p) &&
                 f_.args(p)[0] == args[1 - k] && IsConstAtWidth(f_.args(p)[1], -1)) {
        kind = kBmiBlsr;
        const_slot = 1;
      }
      if (kind < 0) continue;
      bmi_[i.index] = static_cast<int8_t>(kind * 2 + k);
      Sink(p);
      // The constant is part of the instruction, not a register operand;
      // blsr / blsi read x once.
      imm_mask_[p.index] |= 1 << const_slot;
      --reg_uses_[f_.args(p)[const_slot].index];
      if (kind != kBmiAndn) --reg_uses_[args[1 - k].index];
      return true;
    }
    return false;
  }

  void LowerBmi(ir::Inst i) {
    auto args = f_.args(i);
    const int kind = bmi_[i.index] / 2, k = bmi_[i.index] % 2;
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    if (kind == kBmiAndn) {
      b_.Andn(V(f_.args(DefInst(args[k]))[0]), V(args[1 - k]), V(res), sz);
    } else {
      b_.Bls(kind == kBmiBlsr ? 0 : 1, V(args[1 - k]), V(res), sz);
    }
  }

  // An icmp whose every use is in its block and can take the flags of the
  // compare emitted again right there -- a select / brif / trap condition,
  // or an operand of an iadd (unsigned compares: the carry flag, adc /
  // sbb) -- is not materialized (setcc + movzx + test) but recomputed at
  // each use. Clang's branch-free code (i += a[j] < a[i]) has this shape.
  // Single-use select / brif conditions are left to AnalyzeInst.
  void PlanCompareFusion(ir::Block blk) {
    for (ir::Inst p : f_.insts(blk)) {
      if (f_.opcode(p) != Opcode::kIcmp) continue;
      const Value c = f_.first_result(p);
      const uint32_t uses = d_.total_uses()[c.index];
      const auto cc = static_cast<ir::IntCC>(f_.inst(p).code);
      int64_t unused;
      const bool carry_ok = cc == ir::IntCC::kUlt || cc == ir::IntCC::kUge ||
                            ((cc == ir::IntCC::kUgt || cc == ir::IntCC::kUle) &&
                             !ConstOf(f_.args(p)[1], &unused));
      uint32_t fusable = 0;
      bool any_add = false;
      for (ir::Inst u = f_.inst(p).next; u.valid() && fusable < uses; u = f_.inst(u).next) {
        auto uargs = f_.args(u);
        const Opcode uop = f_.opcode(u);
        for (size_t k = 0; k < uargs.size(); ++k) {
          if (uargs[k] != c) continue;
          const bool cond = k == 0 && (uop == Opcode::kSelect || uop == Opcode::kBrif ||
                                       uop == Opcode::kTrapz || uop == Opcode::kTrapnz);
          const bool add = uop == Opcode::kIadd && carry_ok && uargs[1 - k] != c;
          if (cond || add) ++fusable;
          any_add |= add;
        }
      }
      if (fusable != uses || (!any_add && uses < 2)) continue;
      cmp_fused_[p.index] = 1;
      for (ir::Inst u = f_.inst(p).next; u.valid(); u = f_.inst(u).next) {
        if (f_.opcode(u) != Opcode::kIadd) continue;
        for (int k = 0; k < 2; ++k) {
          if (f_.args(u)[k] == c) carry_arg_[u.index] = static_cast<int8_t>(k);
        }
      }
    }
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
      case Opcode::kIadd: case Opcode::kIsub: case Opcode::kImul:
      case Opcode::kBand: case Opcode::kBor: case Opcode::kBxor: {
        if (carry_arg_[i.index] >= 0) break;
        const bool commutative = op != Opcode::kIsub;
        int32_t imm = 0;
        if (Imm32Of(args[1], &imm)) {
          FoldImm(i, 1);
          break;
        }
        if (op == Opcode::kIadd) {
          for (int k : {1, 0}) {
            ir::Inst p;
            if ((SingleUseInBlock(args[k], i, Opcode::kIshlImm, &p) ||
                 SingleUseInBlock(args[k], i, Opcode::kIshl, &p)) &&
                LeaScale(p) != 0) {
              lea_arg_[i.index] = static_cast<int8_t>(k);
              Sink(p);
              // The shift amount of a sunk ishl is the lea's scale, not a
              // register operand.
              if (f_.opcode(p) == Opcode::kIshl) FoldImm(p, 1);
              break;
            }
          }
          if (lea_arg_[i.index] >= 0) break;
        }
        if (op == Opcode::kBand && ctx_.features.bmi1 && MatchBmi(i)) break;
        if (!TryFoldLoad(i, 1) && commutative) TryFoldLoad(i, 0);
        break;
      }
      case Opcode::kFadd: case Opcode::kFmul:
        if (!TryFoldLoad(i, 1)) TryFoldLoad(i, 0);
        break;
      case Opcode::kFsub: case Opcode::kFdiv:
        TryFoldLoad(i, 1);
        break;
      case Opcode::kIcmp:
        if (cmp_fused_[i.index]) {
          // Emitted at each use (PlanCompareFusion); uses left are live.
          sunk_[i.index] = 1;
          reg_uses_[f_.first_result(i).index] = 0;
        }
        FoldImm(i, 1);
        break;
      case Opcode::kIshl: case Opcode::kUshr: case Opcode::kSshr:
      case Opcode::kRotl: case Opcode::kRotr:
        FoldImm(i, 1);
        break;
      case Opcode::kUdiv: case Opcode::kUrem:
      case Opcode::kSdiv: case Opcode::kSrem:
        // The divisor is folded into the multiply-shift sequence.
        if (UnsignedConstDivisor(i, nullptr) || SignedConstDivisor(i, nullptr)) {
          imm_mask_[i.index] |= 2;
          --reg_uses_[args[1].index];
        }
        break;
      case Opcode::kHeapStore: case Opcode::kHeapIstore8: case Opcode::kHeapIstore16:
      case Opcode::kHeapIstore32:
        if (ir::IsInt(T(args[0]))) FoldImm(i, 0);
        break;
      case Opcode::kVconst: case Opcode::kShuffle:
        // vconst / shuffle bytes: read at lowering time, no registers.
        for (size_t k = op == Opcode::kVconst ? 0 : 2; k < args.size(); ++k) {
          if (!IsConstValue(args[k])) continue;
          imm_mask_[i.index] |= 1 << k;
          --reg_uses_[args[k].index];
        }
        break;
      case Opcode::kBrif: case Opcode::kTrapz: case Opcode::kTrapnz: case Opcode::kSelect: {
        ir::Inst p;
        if (SingleUseInBlock(args[0], i, Opcode::kIcmp, &p)) {
          Sink(p);
          FoldImm(p, 1);
        } else if (op != Opcode::kSelect &&
                   SingleUseInBlock(args[0], i, Opcode::kFcmp, &p)) {
          Sink(p);
        }
        break;
      }
      default:
        break;
    }
  }

  // ---- emission helpers ----
  void Mark() {
    while (mf_->srclocs.size() < mf_->insts.size()) mf_->srclocs.push_back(d_.cur_srcloc());
  }

  void Copy(VReg src, VReg dst) {
    if (mf_->vcode.vreg_class(src) == RegClass::kFloat) {
      b_.XmmMov(src, dst);
    } else {
      b_.MovRR(src, dst, 8);
    }
  }

  // Heap address [base + index + offset].
  Addr HeapAddr(Value base, Value index, int64_t offset) {
    Addr a;
    a.base = V(base);
    if (offset <= INT32_MAX) {
      a.index = V(index);
      a.disp = static_cast<int32_t>(offset);
    } else {
      VReg t = b_.NewInt();
      b_.MovImm(t, offset, 8);
      b_.AluRR(AluOp::kAdd, t, V(index), 8);
      a.index = t;
    }
    return a;
  }

  // Sets flags for an integer compare (sunk icmp) and returns the condition.
  Cond EmitIcmp(ir::Inst cmp) {
    auto args = f_.args(cmp);
    const int sz = Sz(T(args[0]));
    if (imm_mask_[cmp.index] & 2) {
      int32_t imm = 0;
      Imm32Of(args[1], &imm);
      if (imm == 0) {
        // The flags of `cmp x, 0` (CF = OF = 0), two bytes shorter.
        b_.Test(V(args[0]), V(args[0]), sz);
      } else {
        b_.CmpImm(V(args[0]), imm, sz);
      }
    } else {
      b_.Cmp(V(args[0]), V(args[1]), sz);
    }
    return IntCond(static_cast<ir::IntCC>(f_.inst(cmp).code));
  }
  Cond EmitFcmp(ir::Inst cmp) {
    auto args = f_.args(cmp);
    FloatCmp fc = FloatCond(static_cast<ir::FloatCC>(f_.inst(cmp).code));
    const int sz = Sz(T(args[0]));
    if (fc.swap) {
      b_.Ucomis(V(args[1]), V(args[0]), sz);
    } else {
      b_.Ucomis(V(args[0]), V(args[1]), sz);
    }
    return fc.cond;
  }
  // Flags for "c != 0" where c may be a sunk compare.
  Cond EmitCondition(Value c) {
    ir::Inst d = DefInst(c);
    if (d.valid() && sunk_[d.index]) {
      return f_.opcode(d) == Opcode::kIcmp ? EmitIcmp(d) : EmitFcmp(d);
    }
    // The value was just computed by an ALU op whose flags still describe
    // it (nothing emitted since): ZF already says whether it is zero.
    if (flags_value_ == c.index && flags_inst_ + 1 == mf_->insts.size()) return kCondNE;
    b_.Test(V(c), V(c), Sz(T(c)));
    return kCondNE;
  }

  // Records that the last emitted instruction (add/sub/and/or/xor) set ZF
  // from `v`'s value.
  void FlagsFrom(Value v, AluOp alu) {
    if (alu == AluOp::kImul) return;  // imul leaves ZF undefined
    flags_value_ = v.index;
    flags_inst_ = mf_->insts.size() - 1;
  }

  // dst = x + (a <u b) as cmp + adc, or x + (a >=u b) as cmp + sbb -1
  // (ugt / ule: the operands swapped); the compare is a fused icmp.
  void LowerAddCarry(ir::Inst i) {
    auto args = f_.args(i);
    const int k = carry_arg_[i.index];
    const ir::Inst cmp = DefInst(args[k]);
    auto cargs = f_.args(cmp);
    const auto cc = static_cast<ir::IntCC>(f_.inst(cmp).code);
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    const int csz = Sz(T(cargs[0]));
    VReg dst = V(res);
    b_.MovRR(V(args[1 - k]), dst, 8);
    if (cc == ir::IntCC::kUgt || cc == ir::IntCC::kUle) {
      b_.Cmp(V(cargs[1]), V(cargs[0]), csz);
    } else if (imm_mask_[cmp.index] & 2) {
      int32_t imm = 0;
      Imm32Of(cargs[1], &imm);
      b_.CmpImm(V(cargs[0]), imm, csz);
    } else {
      b_.Cmp(V(cargs[0]), V(cargs[1]), csz);
    }
    // CF = the strict "less" of the (possibly swapped) compare.
    if (cc == ir::IntCC::kUlt || cc == ir::IntCC::kUgt) {
      b_.AluRI(AluOp::kAdc, dst, 0, sz);
    } else {
      b_.AluRI(AluOp::kSbb, dst, -1, sz);
    }
  }

  // dst = a op b for the integer ALU ops.
  void LowerIntBinary(ir::Inst i, AluOp alu) {
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    VReg dst = V(res);
    if (carry_arg_[i.index] >= 0) {
      LowerAddCarry(i);
      return;
    }
    if (bmi_[i.index] >= 0) {
      LowerBmi(i);
      return;
    }
    const int mem = mem_arg_[i.index];
    if (imm_mask_[i.index] & 2) {
      int32_t imm = 0;
      Imm32Of(args[1], &imm);
      if (alu == AluOp::kImul) {
        b_.Imul3(dst, V(args[0]), imm, sz);
      } else if (alu == AluOp::kAdd && StaysLive(args[0], i)) {
        b_.Lea(dst, Addr{V(args[0]), kInvalidVReg, 0, imm}, sz);
      } else {
        b_.MovRR(V(args[0]), dst, 8);
        b_.AluRI(alu, dst, imm, sz);
        FlagsFrom(f_.first_result(i), alu);
      }
      return;
    }
    if (lea_arg_[i.index] >= 0) {
      const int k = lea_arg_[i.index];
      ir::Inst shl = DefInst(args[k]);
      Addr a{V(args[1 - k]), V(f_.args(shl)[0]), LeaScale(shl), 0};
      b_.Lea(dst, a, sz);
      return;
    }
    if (mem >= 0) {
      ir::Inst ld = DefInst(args[mem]);
      auto largs = f_.args(ld);
      Addr a = HeapAddr(largs[0], largs[1], f_.inst(ld).imm);
      b_.MovRR(V(args[1 - mem]), dst, 8);
      b_.AluRM(alu, dst, a, sz, static_cast<uint8_t>(abi::TrapCode::kMemoryOutOfBounds));
      FlagsFrom(res, alu);
      return;
    }
    const bool live0 = StaysLive(args[0], i);
    if (alu == AluOp::kAdd && live0 && StaysLive(args[1], i)) {
      // Both operands stay live: three-operand add.
      b_.Lea(dst, Addr{V(args[0]), V(args[1]), 0, 0}, sz);
      return;
    }
    // Two-address form: copy the operand that dies (the copy coalesces).
    // But when the result goes back into the block parameter that is an
    // operand (a loop accumulator, acc = acc + x), copy that one: where the
    // parameter dies here, result and parameter share a register and the
    // back edge needs no move (else the move just moves from the edge into
    // the block).
    bool swap = live0;
    if (PassedAsParam(res, args[0])) {
      swap = false;
    } else if (PassedAsParam(res, args[1])) {
      swap = true;
    }
    if (alu == AluOp::kSub) swap = false;
    b_.MovRR(V(args[swap ? 1 : 0]), dst, 8);
    b_.AluRR(alu, dst, V(args[swap ? 0 : 1]), sz);
    FlagsFrom(res, alu);
  }

  void LowerShift(ir::Inst i, ShiftOp sh) {
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    VReg dst = V(res);
    const bool rotate = sh == ShiftOp::kRol || sh == ShiftOp::kRor;
    if (ctx_.features.bmi2) {
      // Three operands: no copy of the source, any count register.
      if (!(imm_mask_[i.index] & 2) && !rotate) {
        b_.ShiftX(sh, V(args[0]), V(args[1]), dst, sz);
        return;
      }
      if ((imm_mask_[i.index] & 2) && rotate) {
        int32_t imm = 0;
        Imm32Of(args[1], &imm);
        const int right = sh == ShiftOp::kRor ? imm : 8 * sz - imm;
        b_.Rorx(V(args[0]), dst, static_cast<uint8_t>(right & (8 * sz - 1)), sz);
        return;
      }
    }
    b_.MovRR(V(args[0]), dst, 8);
    if (imm_mask_[i.index] & 2) {
      int32_t imm = 0;
      Imm32Of(args[1], &imm);
      b_.ShiftRI(sh, dst, static_cast<uint8_t>(imm & (8 * sz - 1)), sz);
    } else {
      b_.ShiftRC(sh, dst, V(args[1]), sz);
    }
  }

  void LowerShiftImm(ir::Inst i, ShiftOp sh) {
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    VReg dst = V(res);
    b_.MovRR(V(f_.args(i)[0]), dst, 8);
    b_.ShiftRI(sh, dst, static_cast<uint8_t>(f_.inst(i).imm & (8 * sz - 1)), sz);
  }

  void LowerFloatBinary(ir::Inst i, SseOp op) {
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    VReg dst = V(res);
    const int mem = mem_arg_[i.index];
    if (mem >= 0) {
      ir::Inst ld = DefInst(args[mem]);
      auto largs = f_.args(ld);
      Addr a = HeapAddr(largs[0], largs[1], f_.inst(ld).imm);
      b_.XmmMov(V(args[1 - mem]), dst);
      b_.XmmRM(op, dst, a, sz, static_cast<uint8_t>(abi::TrapCode::kMemoryOutOfBounds));
      return;
    }
    b_.XmmMov(V(args[0]), dst);
    b_.XmmRR(op, dst, V(args[1]), sz);
  }

  // udiv / urem by a constant d: a shift / mask for a power of two, else a
  // multiply by d's magic reciprocal (div_magic.h) and, for urem,
  // n - q * d. i32 dividends are zero-extended in their registers.
  void LowerUnsignedConstDiv(ir::Inst i) {
    uint64_t d = 0;
    UnsignedConstDivisor(i, &d);
    const bool rem = f_.opcode(i) == Opcode::kUrem;
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    VReg n = V(f_.args(i)[0]);
    VReg dst = V(res);
    if (IsPowerOfTwo(d)) {
      b_.MovRR(n, dst, 8);
      if (!rem) {
        if (d != 1) b_.ShiftRI(ShiftOp::kShr, dst, static_cast<uint8_t>(Log2(d)), sz);
      } else if (FitsImm32(static_cast<int64_t>(d - 1))) {
        b_.AluRI(AluOp::kAnd, dst, static_cast<int32_t>(d - 1), sz);
      } else {
        VReg mask = b_.NewInt();
        b_.MovImm(mask, static_cast<int64_t>(d - 1), 8);
        b_.AluRR(AluOp::kAnd, dst, mask, sz);
      }
      return;
    }
    const UnsignedDivMagic m = ComputeUnsignedDivMagic(d, sz * 8);
    VReg mul = b_.NewInt();
    b_.MovImm(mul, static_cast<int64_t>(m.multiplier), 8);
    VReg q = b_.NewInt();
    b_.MulHigh(false, mul, n, q, 8);
    if (m.add) {
      VReg t = b_.NewInt();
      b_.MovRR(n, t, 8);
      b_.AluRR(AluOp::kSub, t, q, 8);
      b_.ShiftRI(ShiftOp::kShr, t, 1, 8);
      b_.AluRR(AluOp::kAdd, t, q, 8);
      q = t;
    }
    VReg quot = rem ? b_.NewInt() : dst;
    b_.MovRR(q, quot, 8);
    if (m.shift != 0) b_.ShiftRI(ShiftOp::kShr, quot, static_cast<uint8_t>(m.shift), 8);
    if (rem) SubtractMultiple(n, quot, static_cast<int64_t>(d), dst, sz);
  }

  // dst = n - q * d (a remainder from its quotient).
  void SubtractMultiple(VReg n, VReg q, int64_t d, VReg dst, int sz) {
    VReg prod = b_.NewInt();
    if (FitsImm32(d)) {
      b_.Imul3(prod, q, static_cast<int32_t>(d), sz);
    } else {
      b_.MovImm(prod, d, 8);
      b_.AluRR(AluOp::kImul, prod, q, sz);
    }
    b_.MovRR(n, dst, 8);
    b_.AluRR(AluOp::kSub, dst, prod, sz);
  }

  // sdiv / srem by a constant d (not 0 or -1), as clang does. |d| a power
  // of two 2^k: n biased by 2^k - 1 when negative (lea, test, cmovns), so
  // that the arithmetic shift rounds toward zero, then sar k (and neg for
  // d < 0); srem n - (biased & -2^k). Any other d: the signed magic
  // multiply (div_magic.h; i32 as one 64-bit imul by an imm32 of the
  // sign-extended dividend), srem then n - q * d.
  void LowerSignedConstDiv(ir::Inst i) {
    int64_t d = 0;
    SignedConstDivisor(i, &d);
    const bool rem = f_.opcode(i) == Opcode::kSrem;
    Value res = f_.first_result(i);
    const int sz = Sz(T(res));
    const int bits = 8 * sz;
    VReg n = V(f_.args(i)[0]);
    VReg dst = V(res);
    const uint64_t ad = d < 0 ? 0 - static_cast<uint64_t>(d) : static_cast<uint64_t>(d);
    if (ad == 1) {  // d == 1
      if (rem) {
        b_.MovImm(dst, 0, sz);
      } else if (sz == 4) {
        b_.Ext(LoadKind::kI32, n, dst);  // the upper half may be anything
      } else {
        b_.MovRR(n, dst, 8);
      }
      return;
    }
    if (IsPowerOfTwo(ad)) {
      const int k = Log2(ad);
      VReg biased = b_.NewInt();
      if (k <= 31) {
        b_.Lea(biased, Addr{n, kInvalidVReg, 0, static_cast<int32_t>((uint64_t{1} << k) - 1)},
               sz);
        b_.Test(n, n, sz);
        b_.Cmov(kCondNS, biased, n, sz);
      } else {  // 2^k - 1 needs 64 bits: (n >> 63) >>> (64 - k) is the bias
        b_.MovRR(n, biased, 8);
        b_.ShiftRI(ShiftOp::kSar, biased, static_cast<uint8_t>(bits - 1), sz);
        b_.ShiftRI(ShiftOp::kShr, biased, static_cast<uint8_t>(bits - k), sz);
        b_.AluRR(AluOp::kAdd, biased, n, sz);
      }
      if (!rem) {
        b_.MovRR(biased, dst, 8);
        b_.ShiftRI(ShiftOp::kSar, dst, static_cast<uint8_t>(k), sz);
        if (d < 0) b_.Neg(dst, sz);
        return;
      }
      const int64_t mask = -static_cast<int64_t>(ad);
      if (FitsImm32(mask)) {
        b_.AluRI(AluOp::kAnd, biased, static_cast<int32_t>(mask), sz);
      } else {
        VReg m = b_.NewInt();
        b_.MovImm(m, mask, 8);
        b_.AluRR(AluOp::kAnd, biased, m, sz);
      }
      b_.MovRR(n, dst, 8);
      b_.AluRR(AluOp::kSub, dst, biased, sz);
      return;
    }
    const SignedDivMagic m = ComputeSignedDivMagic(d, bits);
    VReg q = b_.NewInt();
    int shift = m.shift;
    if (sz == 4) {
      // The high half of the 64-bit product, sign-extended (the 32-bit ops
      // after it clear the upper half again); without a correction the
      // quotient's shift joins the sar.
      VReg wide = b_.NewInt();
      b_.Ext(LoadKind::kS32x64, n, wide);
      b_.Imul3(q, wide, static_cast<int32_t>(m.multiplier), 8);
      b_.ShiftRI(ShiftOp::kSar, q, static_cast<uint8_t>(m.correction == 0 ? 32 + shift : 32),
                 8);
      if (m.correction == 0) shift = 0;
    } else {
      VReg mul = b_.NewInt();
      b_.MovImm(mul, m.multiplier, 8);
      b_.MulHigh(true, mul, n, q, 8);
    }
    if (m.correction != 0) b_.AluRR(m.correction > 0 ? AluOp::kAdd : AluOp::kSub, q, n, sz);
    if (shift != 0) b_.ShiftRI(ShiftOp::kSar, q, static_cast<uint8_t>(shift), sz);
    // + 1 when negative: the quotient rounds toward zero.
    VReg quot = b_.NewInt();
    b_.MovRR(q, quot, 8);
    b_.ShiftRI(ShiftOp::kShr, quot, static_cast<uint8_t>(bits - 1), sz);
    b_.AluRR(AluOp::kAdd, quot, q, sz);
    if (rem) {
      SubtractMultiple(n, quot, d, dst, sz);
    } else {
      b_.MovRR(quot, dst, 8);
    }
  }

  absl::Status LowerInst(ir::Inst i) override {
    const Opcode op = f_.opcode(i);
    const ir::InstData& d = f_.inst(i);
    auto args = f_.args(i);
    Value res = f_.first_result(i);
    const uint8_t oob = static_cast<uint8_t>(abi::TrapCode::kMemoryOutOfBounds);
    switch (op) {
      case Opcode::kIconst:
        b_.MovImm(V(res), T(res) == Type::kI32 ? static_cast<uint32_t>(d.imm) : d.imm, Sz(T(res)));
        break;
      case Opcode::kF32const:
        b_.XmmConst(V(res), static_cast<uint32_t>(d.imm), 4);
        break;
      case Opcode::kF64const:
        b_.XmmConst(V(res), static_cast<uint64_t>(d.imm), 8);
        break;
      case Opcode::kIadd: LowerIntBinary(i, AluOp::kAdd); break;
      case Opcode::kIsub: LowerIntBinary(i, AluOp::kSub); break;
      case Opcode::kImul: LowerIntBinary(i, AluOp::kImul); break;
      case Opcode::kBand: LowerIntBinary(i, AluOp::kAnd); break;
      case Opcode::kBor: LowerIntBinary(i, AluOp::kOr); break;
      case Opcode::kBxor: LowerIntBinary(i, AluOp::kXor); break;
      case Opcode::kIaddImm: case Opcode::kImulImm: case Opcode::kBandImm:
      case Opcode::kBorImm: case Opcode::kBxorImm: {
        const int sz = Sz(T(res));
        int64_t imm = d.imm;
        if (sz == 4) imm = static_cast<int32_t>(imm);
        VReg dst = V(res);
        VReg a = V(args[0]);
        AluOp alu = op == Opcode::kIaddImm   ? AluOp::kAdd
                    : op == Opcode::kImulImm ? AluOp::kImul
                    : op == Opcode::kBandImm ? AluOp::kAnd
                    : op == Opcode::kBorImm  ? AluOp::kOr
                                             : AluOp::kXor;
        if (!FitsImm32(imm)) {
          VReg t = b_.NewInt();
          b_.MovImm(t, imm, 8);
          b_.MovRR(a, dst, 8);
          b_.AluRR(alu, dst, t, sz);
          FlagsFrom(res, alu);
        } else if (alu == AluOp::kImul) {
          b_.Imul3(dst, a, static_cast<int32_t>(imm), sz);
        } else if (alu == AluOp::kAdd && StaysLive(args[0], i)) {
          b_.Lea(dst, Addr{a, kInvalidVReg, 0, static_cast<int32_t>(imm)}, sz);
        } else {
          b_.MovRR(a, dst, 8);
          b_.AluRI(alu, dst, static_cast<int32_t>(imm), sz);
          FlagsFrom(res, alu);
        }
        break;
      }
      case Opcode::kIshlImm: LowerShiftImm(i, ShiftOp::kShl); break;
      case Opcode::kUshrImm: LowerShiftImm(i, ShiftOp::kShr); break;
      case Opcode::kSshrImm: LowerShiftImm(i, ShiftOp::kSar); break;
      case Opcode::kIshl: LowerShift(i, ShiftOp::kShl); break;
      case Opcode::kUshr: LowerShift(i, ShiftOp::kShr); break;
      case Opcode::kSshr: LowerShift(i, ShiftOp::kSar); break;
      case Opcode::kRotl: LowerShift(i, ShiftOp::kRol); break;
      case Opcode::kRotr: LowerShift(i, ShiftOp::kRor); break;
      case Opcode::kSdiv: case Opcode::kUdiv: case Opcode::kSrem: case Opcode::kUrem: {
        if (imm_mask_[i.index] & 2) {
          if (op == Opcode::kSdiv || op == Opcode::kSrem) {
            LowerSignedConstDiv(i);
          } else {
            LowerUnsignedConstDiv(i);
          }
          break;
        }
        const DivKind k = op == Opcode::kSdiv   ? DivKind::kSdiv
                          : op == Opcode::kUdiv ? DivKind::kUdiv
                          : op == Opcode::kSrem ? DivKind::kSrem
                                                : DivKind::kUrem;
        int64_t c;
        const bool checks = !(ConstOf(args[1], &c) && c != -1);
        b_.Div(k, V(args[0]), V(args[1]), V(res), Sz(T(res)), checks);
        break;
      }
      case Opcode::kClz: case Opcode::kCtz: case Opcode::kPopcnt: {
        const int sz = Sz(T(res));
        if (op == Opcode::kClz) {
          if (ctx_.features.lzcnt) b_.BitCount(0, V(args[0]), V(res), sz);
          else b_.BitScan(0, V(args[0]), V(res), sz);
        } else if (op == Opcode::kCtz) {
          if (ctx_.features.bmi1) b_.BitCount(1, V(args[0]), V(res), sz);
          else b_.BitScan(1, V(args[0]), V(res), sz);
        } else {
          if (ctx_.features.popcnt) b_.BitCount(2, V(args[0]), V(res), sz);
          else b_.PopcntSoft(V(args[0]), V(res), sz);
        }
        break;
      }
      case Opcode::kSextend8:
        b_.Ext(T(res) == Type::kI32 ? LoadKind::kS8x32 : LoadKind::kS8x64, V(args[0]), V(res));
        break;
      case Opcode::kSextend16:
        b_.Ext(T(res) == Type::kI32 ? LoadKind::kS16x32 : LoadKind::kS16x64, V(args[0]), V(res));
        break;
      case Opcode::kSextend32:
      case Opcode::kSextend:
        b_.Ext(LoadKind::kS32x64, V(args[0]), V(res));
        break;
      case Opcode::kUextend:
        b_.MovRR(V(args[0]), V(res), 8);  // upper half already zero
        break;
      case Opcode::kIreduce:
        b_.Ext(LoadKind::kI32, V(args[0]), V(res));
        break;
      case Opcode::kIcmp: {
        Cond cc = EmitIcmp(i);
        b_.Setcc(cc, V(res));
        break;
      }
      case Opcode::kFcmp: {
        Cond cc = EmitFcmp(i);
        b_.Setcc(cc, V(res));
        break;
      }
      case Opcode::kFadd: LowerFloatBinary(i, SseOp::kAdd); break;
      case Opcode::kFsub: LowerFloatBinary(i, SseOp::kSub); break;
      case Opcode::kFmul: LowerFloatBinary(i, SseOp::kMul); break;
      case Opcode::kFdiv: LowerFloatBinary(i, SseOp::kDiv); break;
      case Opcode::kFmin: case Opcode::kFmax: {
        VReg dst = V(res);
        b_.XmmMov(V(args[1]), dst);
        b_.XmmMinMax(op == Opcode::kFmax, V(args[0]), dst, Sz(T(res)));
        break;
      }
      case Opcode::kFabs: case Opcode::kFneg: {
        const int sz = Sz(T(res));
        const uint64_t sign = sz == 4 ? 0x80000000ull : 0x8000000000000000ull;
        VReg mask = b_.NewFloat();
        b_.XmmConst(mask, op == Opcode::kFabs ? (sz == 4 ? 0x7fffffffull : ~sign) : sign, sz);
        VReg dst = V(res);
        b_.XmmMov(V(args[0]), dst);
        b_.XmmRR(op == Opcode::kFabs ? SseOp::kAnd : SseOp::kXor, dst, mask, sz);
        break;
      }
      case Opcode::kFcopysign: {
        // (x & ~sign) | (y & sign)
        const int sz = Sz(T(res));
        const uint64_t sign = sz == 4 ? 0x80000000ull : 0x8000000000000000ull;
        VReg mask = b_.NewFloat(), ysign = b_.NewFloat();
        b_.XmmConst(mask, sign, sz);
        b_.XmmMov(V(args[1]), ysign);
        b_.XmmRR(SseOp::kAnd, ysign, mask, sz);
        b_.XmmRR(SseOp::kAndn, mask, V(args[0]), sz);  // mask = ~sign & x
        b_.XmmRR(SseOp::kOr, mask, ysign, sz);
        b_.XmmMov(mask, V(res));
        break;
      }
      case Opcode::kSqrt:
        b_.XmmSqrt(V(args[0]), V(res), Sz(T(res)));
        break;
      case Opcode::kCeil: case Opcode::kFloor: case Opcode::kTrunc: case Opcode::kNearest: {
        if (!ctx_.features.sse41) {
          return absl::UnimplementedError(absl::StrCat(
              "x64 lowering of ", f_.name(), ": ", ir::OpcodeName(op), " needs SSE4.1"));
        }
        const int mode = op == Opcode::kNearest ? 0 : op == Opcode::kFloor ? 1
                         : op == Opcode::kCeil  ? 2 : 3;
        b_.XmmRound(V(args[0]), V(res), Sz(T(res)), mode | 8);
        break;
      }
      case Opcode::kFcvtToSint: case Opcode::kFcvtToUint:
      case Opcode::kFcvtToSintSat: case Opcode::kFcvtToUintSat: {
        const FloatToIntKind k = op == Opcode::kFcvtToSint      ? FloatToIntKind::kSigned
                                 : op == Opcode::kFcvtToUint    ? FloatToIntKind::kUnsigned
                                 : op == Opcode::kFcvtToSintSat ? FloatToIntKind::kSignedSat
                                                                : FloatToIntKind::kUnsignedSat;
        b_.CvtFloatToInt(k, V(args[0]), Sz(T(args[0])), V(res), Sz(T(res)));
        break;
      }
      case Opcode::kFcvtFromSint:
        b_.CvtIntToFloat(V(args[0]), Sz(T(args[0])), V(res), Sz(T(res)));
        break;
      case Opcode::kFcvtFromUint:
        if (T(args[0]) == Type::kI32) {
          b_.CvtIntToFloat(V(args[0]), 8, V(res), Sz(T(res)));  // zero-extended
        } else {
          b_.CvtU64ToFloat(V(args[0]), V(res), Sz(T(res)));
        }
        break;
      case Opcode::kFpromote:
        b_.CvtFloatFloat(V(args[0]), V(res), 8);
        break;
      case Opcode::kFdemote:
        b_.CvtFloatFloat(V(args[0]), V(res), 4);
        break;
      case Opcode::kBitcast:
        if (ir::IsFloat(T(res))) {
          b_.MovToXmm(V(args[0]), V(res), Sz(T(res)));
        } else {
          b_.MovFromXmm(V(args[0]), V(res), Sz(T(res)));
        }
        break;
      case Opcode::kSelect: {
        VReg dst = V(res);
        const bool fl = IsXmm(T(res));
        Copy(V(args[2]), dst);
        Cond cc = EmitCondition(args[0]);
        if (fl) {
          b_.XmmCmov(cc, dst, V(args[1]));
        } else {
          b_.Cmov(cc, dst, V(args[1]), Sz(T(res)));
        }
        break;
      }
      case Opcode::kLoad: {
        Addr a{V(args[0]), kInvalidVReg, 0, static_cast<int32_t>(d.imm)};
        b_.Load(LoadKindFor(d.ctrl_type), V(res), a,
                (d.code & ir::kMemNotrap) ? kNoTrap : oob);
        break;
      }
      case Opcode::kStore: {
        Addr a{V(args[1]), kInvalidVReg, 0, static_cast<int32_t>(d.imm)};
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
        b_.Load(k, V(res), HeapAddr(args[0], args[1], d.imm), oob);
        break;
      }
      case Opcode::kHeapStore: case Opcode::kHeapIstore8: case Opcode::kHeapIstore16:
      case Opcode::kHeapIstore32: {
        StoreKind k = op == Opcode::kHeapIstore8    ? StoreKind::kI8
                      : op == Opcode::kHeapIstore16 ? StoreKind::kI16
                      : op == Opcode::kHeapIstore32 ? StoreKind::kI32
                                                    : StoreKindFor(T(args[0]));
        Addr a = HeapAddr(args[1], args[2], d.imm);
        if (imm_mask_[i.index] & 1) {
          int32_t imm = 0;
          Imm32Of(args[0], &imm);
          const int size = k == StoreKind::kI8 ? 1 : k == StoreKind::kI16 ? 2
                           : k == StoreKind::kI32 ? 4 : 8;
          b_.StoreImm(size, imm, a, oob);
        } else {
          b_.Store(k, V(args[0]), a, oob);
        }
        break;
      }
      case Opcode::kAtomicLoad: {
        // x86 is TSO: a plain load is a sequentially consistent load (the
        // stores and RMWs are the locked ones).
        static constexpr LoadKind kKinds[] = {LoadKind::kU8, LoadKind::kU16,
                                              LoadKind::kI32, LoadKind::kI64};
        b_.Load(kKinds[d.code], V(res), HeapAddr(args[0], args[1], d.imm), oob);
        break;
      }
      case Opcode::kAtomicStore:
        b_.AtomicStore(1 << d.code, V(args[0]), HeapAddr(args[1], args[2], d.imm), oob);
        break;
      case Opcode::kAtomicRmwAdd: case Opcode::kAtomicRmwSub: case Opcode::kAtomicRmwAnd:
      case Opcode::kAtomicRmwOr: case Opcode::kAtomicRmwXor: case Opcode::kAtomicRmwXchg: {
        const AtomicOp aop = op == Opcode::kAtomicRmwAdd   ? AtomicOp::kAdd
                             : op == Opcode::kAtomicRmwSub ? AtomicOp::kSub
                             : op == Opcode::kAtomicRmwAnd ? AtomicOp::kAnd
                             : op == Opcode::kAtomicRmwOr  ? AtomicOp::kOr
                             : op == Opcode::kAtomicRmwXor ? AtomicOp::kXor
                                                           : AtomicOp::kXchg;
        const bool used = reg_uses_[res.index] > 0;
        b_.AtomicRmw(aop, 1 << d.code, V(args[0]), used ? V(res) : kInvalidVReg,
                     HeapAddr(args[1], args[2], d.imm), oob);
        break;
      }
      case Opcode::kAtomicCas:
        b_.AtomicCas(1 << d.code, V(args[0]), V(args[1]), V(res),
                     HeapAddr(args[2], args[3], d.imm), oob);
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
        Cond cc = EmitCondition(args[0]);
        std::vector<VReg> ta, ea;
        for (Value v : f_.List(calls[0].args)) ta.push_back(V(v));
        for (Value v : f_.List(calls[1].args)) ea.push_back(V(v));
        b_.Jcc(cc, d_.vblock(calls[0].block), ta, d_.vblock(calls[1].block), ea);
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
          absl::Status st = LowerSimd(b_, f_, i, ctx_, [this](Value v) { return V(v); });
          if (!st.ok()) return st;
          break;
        }
        return absl::UnimplementedError(absl::StrCat("x64 lowering of ", f_.name(),
                                                     ": opcode ", ir::OpcodeName(op)));
    }
    Mark();
    return absl::OkStatus();
  }

  const ir::Function& f_;
  const CompileContext& ctx_;
  MachFunction* mf_;
  Builder b_;
  LowerDriver d_;
  uint32_t flags_value_ = ~0u;  // IR value whose ZF the last ALU op set
  size_t flags_inst_ = 0;
  std::vector<uint32_t> reg_uses_;
  std::vector<uint8_t> sunk_, dead_, imm_mask_;
  std::vector<int8_t> mem_arg_, lea_arg_;
  // Per iadd: the operand that is a compare recomputed into its carry
  // (adc / sbb), else -1. Per icmp: every use recomputes it (PlanCompareFusion).
  std::vector<int8_t> carry_arg_;
  std::vector<uint8_t> cmp_fused_;
  // Per band with BMI1: kBmiAndn / kBmiBlsr / kBmiBlsi times 2 plus the
  // operand that is the sunk bnot / x - 1 / 0 - x (MatchBmi), else -1.
  std::vector<int8_t> bmi_;
  std::vector<uint32_t> pos_, barriers_before_;
  // (value, block parameter) for every block argument, sorted.
  std::vector<std::pair<uint32_t, uint32_t>> passed_to_;
};

}  // namespace

absl::StatusOr<MachFunction> Lower(const ir::Function& f, const CompileContext& ctx) {
  MachFunction mf;
  Lowerer l(f, ctx, &mf);
  absl::Status st = l.Run();
  if (!st.ok()) return st;
  return mf;
}

std::string PrintMachFunction(const MachFunction& f) {
  return PrintVCode(f.vcode, [&f](uint32_t i) { return InstToString(f, i); });
}

}  // namespace kiln::isa::x64
