#include "codegen/isa/aarch64/lower_simd.h"

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/simd.h"

namespace kiln::isa::aarch64 {
namespace {

using ir::Opcode;
using ir::Type;
using V = VecOp;

class SimdLowerer {
 public:
  SimdLowerer(Builder& b, const ir::Function& f, ir::Inst i,
              absl::FunctionRef<VReg(ir::Value)> vreg)
      : b_(b), f_(f), i_(i), vreg_(vreg) {}

  absl::Status Run();

 private:
  VReg X() { return b_.NewFloat(); }
  VReg G() { return b_.NewInt(); }
  VReg A(int k) { return vreg_(f_.args(i_)[k]); }
  VReg Res() { return vreg_(f_.first_result(i_)); }

  // Full-width arrangement of the instruction's lanes.
  VecArr Full() const { return FullArr(lane_); }
  VReg Bin(VecOp op, VReg a, VReg b, VecArr arr) {
    VReg d = X();
    b_.VecRRR(op, arr, arr, a, b, d);
    return d;
  }
  VReg Bin(VecOp op, VReg a, VReg b) { return Bin(op, a, b, Full()); }
  VReg Un(VecOp op, VReg a, VecArr d_arr, VecArr s_arr) {
    VReg d = X();
    b_.VecRR(op, d_arr, s_arr, a, d);
    return d;
  }
  VReg Un(VecOp op, VReg a) { return Un(op, a, Full(), Full()); }
  VReg UnImm(VecOp op, VReg a, int64_t imm, VecArr d_arr, VecArr s_arr) {
    VReg d = X();
    b_.VecRRImm(op, d_arr, s_arr, a, imm, d);
    return d;
  }
  VReg Copy(VReg src) {
    VReg d = X();
    b_.VMov(src, d);
    return d;
  }
  VReg Const(uint64_t lo, uint64_t hi) {
    VReg d = X();
    b_.VConst(d, lo, hi);
    return d;
  }
  VReg Not(VReg x) { return Un(V::kNot, x, VecArr::k16B, VecArr::k16B); }
  // mask ? x : y, bitwise.
  VReg Select(VReg mask, VReg x, VReg y) {
    VReg d = Copy(mask);
    b_.VecRRRMod(V::kBsl, VecArr::k16B, VecArr::k16B, x, y, d);
    return d;
  }
  // The value of operand k if it is an iconst (not materialized).
  std::optional<uint64_t> ConstArg(int k) const {
    ir::Inst d = f_.DefiningInst(f_.args(i_)[k]);
    if (!d.valid() || f_.opcode(d) != Opcode::kIconst) return std::nullopt;
    return static_cast<uint64_t>(f_.inst(d).imm);
  }
  absl::Status Unimplemented() const {
    return absl::UnimplementedError(
        absl::StrCat("aarch64 lowering of ", f_.name(), ": ", ir::PrintInst(f_, i_)));
  }
  VReg Shuffle();
  VReg Shift();
  VReg HighBits();
  VReg Imul64();

  Builder& b_;
  const ir::Function& f_;
  ir::Inst i_;
  absl::FunctionRef<VReg(ir::Value)> vreg_;
  Opcode op_ = Opcode::kIconst;
  Type shape_ = Type::kInvalid;
  int lane_ = 1;  // lane bytes
};

// One tbl when only one input is used, else tbl from x and tbx from y:
// y's indices are the lane bytes minus 16, so x's lanes (now >= 240) are
// out of tbx's range and keep tbl's result.
VReg SimdLowerer::Shuffle() {
  uint8_t lanes[16];
  const uint64_t lo = *ConstArg(2), hi = *ConstArg(3);
  std::memcpy(lanes, &lo, 8);
  std::memcpy(lanes + 8, &hi, 8);
  bool use_x = false, use_y = false;
  uint8_t my[16];
  for (int k = 0; k < 16; ++k) {
    use_x |= lanes[k] < 16;
    use_y |= lanes[k] >= 16;
    my[k] = static_cast<uint8_t>(lanes[k] - 16);
  }
  auto mask = [&](const uint8_t* m) {
    uint64_t l, h;
    std::memcpy(&l, m, 8);
    std::memcpy(&h, m + 8, 8);
    return Const(l, h);
  };
  if (!use_y) return Bin(V::kTbl, A(0), mask(lanes), VecArr::k16B);
  if (!use_x) return Bin(V::kTbl, A(1), mask(my), VecArr::k16B);
  VReg r = Bin(V::kTbl, A(0), mask(lanes), VecArr::k16B);
  b_.VecRRRMod(V::kTbx, VecArr::k16B, VecArr::k16B, A(1), mask(my), r);
  return r;
}

// Shift amounts are taken modulo the lane width. Constant amounts use the
// immediate forms; others ushl / sshl by a splatted count (negative:
// right), which read each lane's low byte only.
VReg SimdLowerer::Shift() {
  const int bits = 8 * lane_;
  if (std::optional<uint64_t> c = ConstArg(1)) {
    const int n = static_cast<int>(*c & (bits - 1));
    if (n == 0) return Copy(A(0));
    const VecOp op = op_ == Opcode::kVishl ? V::kShl : op_ == Opcode::kVushr ? V::kUshr : V::kSshr;
    return UnImm(op, A(0), n, Full(), Full());
  }
  VReg n = G();
  b_.AluRRI(AluOp::kAnd, A(1), bits - 1, n, 4);
  if (op_ != Opcode::kVishl) {
    VReg neg = G();
    b_.Unary(UnaryOp::kNeg, n, neg, 4);
    n = neg;
  }
  VReg cnt = X();
  b_.VecDup(VecArr::k16B, n, cnt);
  return Bin(op_ == Opcode::kVsshr ? V::kSshl : V::kUshl, A(0), cnt);
}

// Each lane's sign becomes all-ones, masked to the lane's bit, summed.
VReg SimdLowerer::HighBits() {
  VReg res = G();
  if (lane_ == 8) {
    VReg t = UnImm(V::kUshr, A(0), 63, VecArr::k2D, VecArr::k2D);
    VReg lo = G(), hi = G(), sh = G();
    b_.VecExtract(VecArr::kD, 0, t, lo);
    b_.VecExtract(VecArr::kD, 1, t, hi);
    b_.AluRRI(AluOp::kLsl, hi, 1, sh, 8);
    b_.AluRRR(AluOp::kOrr, lo, sh, res, 4);
    return res;
  }
  VReg t = UnImm(V::kSshr, A(0), 8 * lane_ - 1, Full(), Full());
  if (lane_ == 1) {
    // Bits 1 << (k % 8); three pairwise adds leave the low 8 lanes' byte
    // in byte 0 and the high 8 lanes' in byte 1.
    VReg m = Bin(V::kAnd, t, Const(0x8040201008040201ull, 0x8040201008040201ull),
                 VecArr::k16B);
    VReg p = Bin(V::kAddp, m, m, VecArr::k16B);
    p = Bin(V::kAddp, p, p, VecArr::k16B);
    p = Bin(V::kAddp, p, p, VecArr::k16B);
    b_.VecExtract(VecArr::kH, 0, p, res);
    return res;
  }
  VReg bitsv = lane_ == 2 ? Const(0x0008000400020001ull, 0x0080004000200010ull)
                          : Const(0x0000000200000001ull, 0x0000000800000004ull);
  VReg m = Bin(V::kAnd, t, bitsv, VecArr::k16B);
  VReg s = Un(V::kAddv, m, ElemArr(lane_), Full());
  b_.VecExtract(ElemArr(lane_), 0, s, res);
  return res;
}

// i64x2 multiply (no mul.2d): the cross products' sum shifted up plus the
// low halves' product (as Cranelift).
VReg SimdLowerer::Imul64() {
  VReg a = A(0), bb = A(1);
  VReg t1 = Un(V::kRev64, bb, VecArr::k4S, VecArr::k4S);
  t1 = Bin(V::kMul, t1, a, VecArr::k4S);
  VReg t2 = Un(V::kXtn, a, VecArr::k2S, VecArr::k2D);
  t1 = Bin(V::kAddp, t1, t1, VecArr::k4S);
  VReg t3 = Un(V::kXtn, bb, VecArr::k2S, VecArr::k2D);
  VReg d = UnImm(V::kShll, t1, 32, VecArr::k2D, VecArr::k2S);
  b_.VecRRRMod(V::kUmlal, VecArr::k2D, VecArr::k2S, t3, t2, d);
  return d;
}

absl::Status SimdLowerer::Run() {
  using O = Opcode;
  op_ = f_.opcode(i_);
  shape_ = f_.inst(i_).ctrl_type;
  lane_ = shape_ == Type::kV128 ? 1 : ir::LaneBits(shape_) / 8;
  const int lane_idx = static_cast<int>(f_.inst(i_).imm);
  const uint8_t code = f_.inst(i_).code;
  const bool is_float = shape_ == Type::kF32X4 || shape_ == Type::kF64X2;
  VReg r = kInvalidVReg;
  auto bin = [&](VecOp op) { r = Bin(op, A(0), A(1)); };
  auto un = [&](VecOp op) { r = Un(op, A(0)); };
  switch (op_) {
    // Constants, splats, lanes.
    case O::kVconst:
      if (ConstArg(0) && ConstArg(1)) {
        r = Const(*ConstArg(0), *ConstArg(1));
      } else {
        r = X();
        b_.MovToFpr(A(0), r, 8);
        b_.VecInsGpr(VecArr::kD, 1, A(1), r);
      }
      break;
    case O::kSplat:
      r = X();
      if (is_float) {
        b_.VecDupLane(Full(), ElemArr(lane_), 0, A(0), r);
      } else {
        b_.VecDup(Full(), A(0), r);
      }
      break;
    case O::kScalarToVector:
      r = X();
      b_.MovToFpr(A(0), r, lane_);  // a scalar write zeroes the other lanes
      break;
    case O::kExtractlane:
      if (is_float) {
        b_.VecDupLane(ElemArr(lane_), ElemArr(lane_), lane_idx, A(0), Res());
      } else {
        b_.VecExtract(ElemArr(lane_), lane_idx, A(0), Res());
      }
      return absl::OkStatus();
    case O::kInsertlane:
      r = Copy(A(0));
      if (is_float) {
        b_.VecInsLane(ElemArr(lane_), lane_idx, A(1), r);
      } else {
        b_.VecInsGpr(ElemArr(lane_), lane_idx, A(1), r);
      }
      break;
    case O::kShuffle:
      if (!ConstArg(2) || !ConstArg(3)) {
        return absl::UnimplementedError(absl::StrCat(
            "aarch64 lowering of ", f_.name(), ": shuffle needs constant lanes"));
      }
      r = Shuffle();
      break;
    case O::kSwizzle: r = Bin(V::kTbl, A(0), A(1), VecArr::k16B); break;  // >= 16 gives 0

    // Bitwise.
    case O::kVbnot: r = Not(A(0)); break;
    case O::kVband: r = Bin(V::kAnd, A(0), A(1), VecArr::k16B); break;
    case O::kVbor: r = Bin(V::kOrr, A(0), A(1), VecArr::k16B); break;
    case O::kVbxor: r = Bin(V::kEor, A(0), A(1), VecArr::k16B); break;
    case O::kVbandNot: r = Bin(V::kBic, A(0), A(1), VecArr::k16B); break;
    case O::kBitselect: r = Select(A(0), A(1), A(2)); break;
    case O::kVanyTrue: {
      VReg t = Bin(V::kUmaxp, A(0), A(0), VecArr::k4S);
      VReg g = G();
      b_.VecExtract(VecArr::kD, 0, t, g);
      b_.CmpImm(g, 0, 8);
      b_.Cset(kCondNe, Res());
      return absl::OkStatus();
    }
    case O::kVallTrue: {
      VReg g = G();
      if (lane_ == 8) {
        VReg z = UnImm(V::kCmeq, A(0), 0, VecArr::k2D, VecArr::k2D);
        VReg t = Bin(V::kUmaxp, z, z, VecArr::k4S);
        b_.VecExtract(VecArr::kD, 0, t, g);
        b_.CmpImm(g, 0, 8);
        b_.Cset(kCondEq, Res());
      } else {
        VReg t = Un(V::kUminv, A(0), ElemArr(lane_), Full());
        b_.VecExtract(ElemArr(lane_), 0, t, g);
        b_.CmpImm(g, 0, 4);
        b_.Cset(kCondNe, Res());
      }
      return absl::OkStatus();
    }
    case O::kVhighBits:
      b_.MovRR(HighBits(), Res());
      return absl::OkStatus();

    // Integer arithmetic.
    case O::kViadd: bin(V::kAdd); break;
    case O::kVisub: bin(V::kSub); break;
    case O::kVimul:
      if (lane_ == 8) {
        r = Imul64();
      } else {
        bin(V::kMul);
      }
      break;
    case O::kVineg: un(V::kNeg); break;
    case O::kViabs: un(V::kAbs); break;
    case O::kVsaddSat: bin(V::kSqadd); break;
    case O::kVuaddSat: bin(V::kUqadd); break;
    case O::kVssubSat: bin(V::kSqsub); break;
    case O::kVusubSat: bin(V::kUqsub); break;
    case O::kVsmin: bin(V::kSmin); break;
    case O::kVumin: bin(V::kUmin); break;
    case O::kVsmax: bin(V::kSmax); break;
    case O::kVumax: bin(V::kUmax); break;
    case O::kAvgRound: bin(V::kUrhadd); break;
    case O::kVpopcnt: un(V::kCnt); break;
    // sqrdmulh: (2ab + 2^15) >> 16 saturated, wasm's q15mulr_sat_s.
    case O::kSqmulRoundSat: bin(V::kSqrdmulh); break;
    case O::kSdotPairwise: {
      VReg lo = X(), hi = X();
      b_.VecRRR(V::kSmull, VecArr::k4S, VecArr::k4H, A(0), A(1), lo);
      b_.VecRRR(V::kSmull2, VecArr::k4S, VecArr::k8H, A(0), A(1), hi);
      r = Bin(V::kAddp, lo, hi, VecArr::k4S);
      break;
    }
    case O::kSwidenAddPairwise: r = Un(V::kSaddlp, A(0), FullArr(2 * lane_), Full()); break;
    case O::kUwidenAddPairwise: r = Un(V::kUaddlp, A(0), FullArr(2 * lane_), Full()); break;
    // The x86_* rows of relaxed SIMD, with their exact x86 semantics.
    case O::kX86Pshufb: {
      VReg idx = Bin(V::kAnd, A(1), Const(0x8f8f8f8f8f8f8f8full, 0x8f8f8f8f8f8f8f8full),
                     VecArr::k16B);
      r = Bin(V::kTbl, A(0), idx, VecArr::k16B);
      break;
    }
    case O::kX86Pmulhrsw: {
      VReg lo = X(), hi = X();
      b_.VecRRR(V::kSmull, VecArr::k4S, VecArr::k4H, A(0), A(1), lo);
      b_.VecRRR(V::kSmull2, VecArr::k4S, VecArr::k8H, A(0), A(1), hi);
      r = UnImm(V::kRshrn, lo, 15, VecArr::k4H, VecArr::k4S);  // wraps, no saturation
      b_.VecRRModImm(V::kRshrn2, VecArr::k8H, VecArr::k4S, hi, 15, r);
      break;
    }
    case O::kX86Pmaddubsw: {
      VReg xl = Un(V::kSxtl, A(0), VecArr::k8H, VecArr::k8B);
      VReg xh = Un(V::kSxtl2, A(0), VecArr::k8H, VecArr::k16B);
      VReg yl = Un(V::kUxtl, A(1), VecArr::k8H, VecArr::k8B);
      VReg yh = Un(V::kUxtl2, A(1), VecArr::k8H, VecArr::k16B);
      VReg pl = Bin(V::kMul, xl, yl, VecArr::k8H);  // |s8 * u8| < 2^15
      VReg ph = Bin(V::kMul, xh, yh, VecArr::k8H);
      r = Bin(V::kSqadd, Bin(V::kUzp1, pl, ph, VecArr::k8H), Bin(V::kUzp2, pl, ph, VecArr::k8H),
              VecArr::k8H);
      break;
    }
    // c, x, y: each lane's top bit of c becomes a whole-lane mask (cmlt #0)
    // selecting x (blendv's semantics for every lane width).
    case O::kX86Blendv:
      r = Select(UnImm(V::kCmlt, A(0), 0, Full(), Full()), A(1), A(2));
      break;

    // Shifts.
    case O::kVishl: case O::kVushr: case O::kVsshr: r = Shift(); break;

    // Compares (all-ones lanes where true).
    case O::kVicmp: {
      using C = ir::IntCC;
      VReg a = A(0), bb = A(1);
      switch (static_cast<C>(code)) {
        case C::kEq: r = Bin(V::kCmeq, a, bb); break;
        case C::kNe: r = Not(Bin(V::kCmeq, a, bb)); break;
        case C::kSgt: r = Bin(V::kCmgt, a, bb); break;
        case C::kSge: r = Bin(V::kCmge, a, bb); break;
        case C::kSlt: r = Bin(V::kCmgt, bb, a); break;
        case C::kSle: r = Bin(V::kCmge, bb, a); break;
        case C::kUgt: r = Bin(V::kCmhi, a, bb); break;
        case C::kUge: r = Bin(V::kCmhs, a, bb); break;
        case C::kUlt: r = Bin(V::kCmhi, bb, a); break;
        case C::kUle: r = Bin(V::kCmhs, bb, a); break;
      }
      break;
    }
    case O::kVfcmp: {
      using C = ir::FloatCC;
      VReg a = A(0), bb = A(1);
      switch (static_cast<C>(code)) {
        case C::kEq: r = Bin(V::kFcmeq, a, bb); break;
        case C::kNe: r = Not(Bin(V::kFcmeq, a, bb)); break;
        case C::kGt: r = Bin(V::kFcmgt, a, bb); break;
        case C::kGe: r = Bin(V::kFcmge, a, bb); break;
        case C::kLt: r = Bin(V::kFcmgt, bb, a); break;
        case C::kLe: r = Bin(V::kFcmge, bb, a); break;
        case C::kOrd: case C::kUno:
          r = Bin(V::kAnd, Bin(V::kFcmeq, a, a), Bin(V::kFcmeq, bb, bb), VecArr::k16B);
          if (static_cast<C>(code) == C::kUno) r = Not(r);
          break;
      }
      break;
    }

    // Float arithmetic. fmin / fmax propagate NaN and order -0 < +0 as
    // wasm's min / max; pmin / pmax are a compare and a select.
    case O::kVfadd: bin(V::kFadd); break;
    case O::kVfsub: bin(V::kFsub); break;
    case O::kVfmul: bin(V::kFmul); break;
    case O::kVfdiv: bin(V::kFdiv); break;
    case O::kVfma:  // a * b + c fused: fmla accumulates into a copy of c
      r = Copy(A(2));
      b_.VecRRRMod(V::kFmla, Full(), Full(), A(0), A(1), r);
      break;
    case O::kVfmin: bin(V::kFmin); break;
    case O::kVfmax: bin(V::kFmax); break;
    case O::kFminPseudo: r = Select(Bin(V::kFcmgt, A(0), A(1)), A(1), A(0)); break;  // b < a
    case O::kFmaxPseudo: r = Select(Bin(V::kFcmgt, A(1), A(0)), A(1), A(0)); break;  // a < b
    case O::kVsqrt: un(V::kFsqrt); break;
    case O::kVfabs: un(V::kFabs); break;
    case O::kVfneg: un(V::kFneg); break;
    case O::kVceil: un(V::kFrintp); break;
    case O::kVfloor: un(V::kFrintm); break;
    case O::kVtrunc: un(V::kFrintz); break;
    case O::kVnearest: un(V::kFrintn); break;

    // Conversions. fcvtzs / fcvtzu saturate and give 0 for NaN: wasm's
    // trunc_sat; the f64x2 forms narrow with saturation (upper lanes 0).
    case O::kVfcvtFromSint: r = Un(V::kScvtf, A(0), VecArr::k4S, VecArr::k4S); break;
    case O::kVfcvtFromUint: r = Un(V::kUcvtf, A(0), VecArr::k4S, VecArr::k4S); break;
    case O::kFcvtLowFromSint:
      r = Un(V::kScvtf, Un(V::kSxtl, A(0), VecArr::k2D, VecArr::k2S), VecArr::k2D, VecArr::k2D);
      break;
    case O::kFcvtLowFromUint:
      r = Un(V::kUcvtf, Un(V::kUxtl, A(0), VecArr::k2D, VecArr::k2S), VecArr::k2D, VecArr::k2D);
      break;
    case O::kVfcvtToSintSat: r = Un(V::kFcvtzs, A(0), VecArr::k4S, VecArr::k4S); break;
    case O::kVfcvtToUintSat: r = Un(V::kFcvtzu, A(0), VecArr::k4S, VecArr::k4S); break;
    case O::kFcvtToSintSatZero:
      r = Un(V::kSqxtn, Un(V::kFcvtzs, A(0), VecArr::k2D, VecArr::k2D), VecArr::k2S, VecArr::k2D);
      break;
    case O::kFcvtToUintSatZero:
      r = Un(V::kUqxtn, Un(V::kFcvtzu, A(0), VecArr::k2D, VecArr::k2D), VecArr::k2S, VecArr::k2D);
      break;
    case O::kFvdemote: r = Un(V::kFcvtn, A(0), VecArr::k2S, VecArr::k2D); break;
    case O::kFvpromoteLow: r = Un(V::kFcvtl, A(0), VecArr::k2D, VecArr::k2S); break;

    // Narrow / widen (the shape is the input's).
    case O::kSnarrow: case O::kUnarrow: {
      const bool s = op_ == O::kSnarrow;
      r = Un(s ? V::kSqxtn : V::kSqxtun, A(0), HalfArr(lane_ / 2), Full());
      b_.VecRRMod(s ? V::kSqxtn2 : V::kSqxtun2, FullArr(lane_ / 2), Full(), A(1), r);
      break;
    }
    case O::kSwidenLow: r = Un(V::kSxtl, A(0), FullArr(2 * lane_), HalfArr(lane_)); break;
    case O::kSwidenHigh: r = Un(V::kSxtl2, A(0), FullArr(2 * lane_), Full()); break;
    case O::kUwidenLow: r = Un(V::kUxtl, A(0), FullArr(2 * lane_), HalfArr(lane_)); break;
    case O::kUwidenHigh: r = Un(V::kUxtl2, A(0), FullArr(2 * lane_), Full()); break;

    // Extended multiplication.
    case O::kSwidenMulLow: case O::kUwidenMulLow:
      r = X();
      b_.VecRRR(op_ == O::kSwidenMulLow ? V::kSmull : V::kUmull, FullArr(2 * lane_),
                HalfArr(lane_), A(0), A(1), r);
      break;
    case O::kSwidenMulHigh: case O::kUwidenMulHigh:
      r = X();
      b_.VecRRR(op_ == O::kSwidenMulHigh ? V::kSmull2 : V::kUmull2, FullArr(2 * lane_), Full(),
                A(0), A(1), r);
      break;

    default:
      return Unimplemented();
  }
  b_.VMov(r, Res());
  return absl::OkStatus();
}

}  // namespace

absl::Status LowerSimd(Builder& b, const ir::Function& f, ir::Inst i,
                       absl::FunctionRef<VReg(ir::Value)> vreg) {
  return SimdLowerer(b, f, i, vreg).Run();
}

}  // namespace kiln::isa::aarch64
