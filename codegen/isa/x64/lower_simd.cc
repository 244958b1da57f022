#include "codegen/isa/x64/lower_simd.h"

#include <asmjit/x86.h>

#include <cstring>
#include <initializer_list>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/simd.h"

namespace kiln::isa::x64 {
namespace {

namespace ax = asmjit::x86;
using Id = ax::Inst::Id;
using ir::Opcode;
using ir::Type;

class SimdLowerer {
 public:
  SimdLowerer(Builder& b, const ir::Function& f, ir::Inst i,
              const CompileContext& ctx,
              absl::FunctionRef<VReg(ir::Value)> vreg)
      : b_(b), f_(f), i_(i), ctx_(ctx), vreg_(vreg) {}

  absl::Status Run();

 private:
  VReg X() { return b_.NewFloat(); }
  VReg G() { return b_.NewInt(); }
  VReg A(int k) { return vreg_(f_.args(i_)[k]); }
  VReg Res() { return vreg_(f_.first_result(i_)); }

  // dst op= src [, imm8]; dst is modified.
  void RR(Id id, VReg dst, VReg src, int imm8 = -1) {
    Inst in;
    in.op = Op::kVecRR;
    in.imm = id;
    if (imm8 >= 0) {
      in.sub = 1;
      in.cc = static_cast<uint8_t>(imm8);
    }
    b_.Emit(in, {Operand::Mod(dst), Operand::Use(src)});
  }
  // dst = op(src [, imm8]) where the instruction overwrites all of dst.
  VReg Un(Id id, VReg src, int imm8 = -1) {
    VReg dst = X();
    Inst in;
    in.op = Op::kVecRR;
    in.imm = id;
    in.sub = 2;
    if (imm8 >= 0) {
      in.sub |= 1;
      in.cc = static_cast<uint8_t>(imm8);
    }
    b_.Emit(in, {Operand::Def(dst), Operand::Use(src)});
    return dst;
  }
  void RI(Id id, VReg dst, int imm8) {
    Inst in;
    in.op = Op::kVecRI;
    in.imm = id;
    in.cc = static_cast<uint8_t>(imm8);
    b_.Emit(in, {Operand::Mod(dst)});
  }
  void Insert(Id id, VReg dst, VReg gpr, int lane, int size) {
    Inst in;
    in.op = Op::kVecInsert;
    in.imm = id;
    in.size = static_cast<uint8_t>(size);
    in.cc = static_cast<uint8_t>(lane);
    b_.Emit(in, {Operand::Mod(dst), Operand::Use(gpr)});
  }
  VReg Extract(Id id, VReg src, int lane, int size) {
    VReg dst = G();
    Inst in;
    in.op = Op::kVecExtract;
    in.imm = id;
    in.size = static_cast<uint8_t>(size);
    if (lane >= 0) {
      in.sub = 1;
      in.cc = static_cast<uint8_t>(lane);
    }
    b_.Emit(in, {Operand::Use(src), Operand::Def(dst)});
    return dst;
  }
  VReg Copy(VReg src) {
    VReg d = X();
    b_.XmmMov(src, d);
    return d;
  }
  // A non-destructive VEX instruction: dst (defined or modified), then
  // 2 or 3 register sources.
  void Vex(Id id, Operand dst, std::initializer_list<VReg> srcs) {
    Inst in;
    in.op = Op::kVecVex;
    in.imm = id;
    in.sub = static_cast<uint8_t>(srcs.size());
    std::vector<Operand> ops = {dst};
    for (VReg s : srcs) ops.push_back(Operand::Use(s));
    b_.Emit(in, ops);
  }
  // d = copy(a); d op= b.
  VReg Bin(Id id, VReg a, VReg bb, int imm8 = -1) {
    VReg d = Copy(a);
    RR(id, d, bb, imm8);
    return d;
  }
  VReg Zero() {
    VReg d = X();
    b_.XmmConst(d, 0, 8);
    return d;
  }
  VReg Const(uint64_t lo, uint64_t hi) {
    if (lo == 0 && hi == 0) return Zero();
    VReg g = G();
    b_.MovImm(g, static_cast<int64_t>(lo), 8);
    VReg d = X();
    b_.MovToXmm(g, d, 8);
    if (hi == lo) {
      RR(ax::Inst::kIdPunpcklqdq, d, Copy(d));
    } else {
      VReg g2 = G();
      b_.MovImm(g2, static_cast<int64_t>(hi), 8);
      VReg h = X();
      b_.MovToXmm(g2, h, 8);
      RR(ax::Inst::kIdPunpcklqdq, d, h);
    }
    return d;
  }
  VReg Splat8(uint8_t v) { return Const(0x0101010101010101ull * v, 0x0101010101010101ull * v); }
  VReg Splat16(uint16_t v) { return Const(0x0001000100010001ull * v, 0x0001000100010001ull * v); }
  VReg Splat32(uint32_t v) {
    uint64_t q = (uint64_t{v} << 32) | v;
    return Const(q, q);
  }
  VReg Splat64(uint64_t v) { return Const(v, v); }
  VReg Ones() { return Splat64(~0ull); }
  VReg Not(VReg x) { return Bin(ax::Inst::kIdPxor, x, Ones()); }
  // Broadcast the low byte / word of xmm t.
  VReg BroadcastByte(VReg t) {
    VReg d = Copy(t);
    RR(ax::Inst::kIdPshufb, d, Zero());
    return d;
  }
  VReg GprToXmm(VReg g, int size) {
    VReg d = X();
    b_.MovToXmm(g, d, size);
    return d;
  }
  // Shift count (gpr i32) masked to the lane width, in an xmm register.
  VReg ShiftCount(VReg g, int bits, int add = 0) {
    VReg t = G();
    b_.MovRR(g, t, 4);
    b_.AluRI(AluOp::kAnd, t, bits - 1, 4);
    if (add) b_.AluRI(AluOp::kAdd, t, add, 4);
    return GprToXmm(t, 4);
  }
  VReg ShiftMaskByte(VReg g, bool left) {
    // (0xff << s) or (0xff >> s) for s = g & 7, broadcast to all bytes.
    VReg cnt = G();
    b_.MovRR(g, cnt, 4);
    b_.AluRI(AluOp::kAnd, cnt, 7, 4);
    VReg m = G();
    b_.MovImm(m, 0xff, 4);
    b_.ShiftRC(left ? ShiftOp::kShl : ShiftOp::kShr, m, cnt, 4);
    return BroadcastByte(GprToXmm(m, 4));
  }
  absl::Status Need(bool have, const char* what) {
    if (have) return absl::OkStatus();
    return absl::UnimplementedError(absl::StrCat(
        "x64 lowering of ", f_.name(), ": ", ir::PrintInst(f_, i_),
        " needs ", what));
  }
  // The value of operand k if it is an iconst (lower.cc does not
  // materialize those for vconst and shuffle).
  std::optional<uint64_t> ConstArg(int k) const {
    ir::Inst d = f_.DefiningInst(f_.args(i_)[k]);
    if (!d.valid() || f_.opcode(d) != ir::Opcode::kIconst) return std::nullopt;
    return static_cast<uint64_t>(f_.inst(d).imm);
  }
  VReg FMinMax(bool is_min, bool f64);
  VReg CmpInt(int lane_bytes, bool is_signed, int kind);  // kind: 0 eq 1 ne 2 lt 3 gt 4 le 5 ge
  // Per-shape instruction: ids[] indexed i8, i16, i32, i64 (kIdNone: none).
  Id ByLane(std::initializer_list<Id> ids) const {
    const int k = shape_ == Type::kI8X16 ? 0 : shape_ == Type::kI16X8 ? 1
                  : shape_ == Type::kI32X4 || shape_ == Type::kF32X4 ? 2 : 3;
    return ids.begin()[k];
  }
  bool F64() const { return shape_ == Type::kF64X2; }
  int LaneBytes() const { return ir::LaneBits(shape_) / 8; }
  VReg Shuffle();
  VReg Popcnt();

  Builder& b_;
  const ir::Function& f_;
  ir::Inst i_;
  const CompileContext& ctx_;
  absl::FunctionRef<VReg(ir::Value)> vreg_;
  Opcode op_ = Opcode::kIconst;
  Type shape_ = Type::kInvalid;
};

VReg SimdLowerer::FMinMax(bool is_min, bool f64) {
  namespace I = ax::Inst;
  const Id mm = is_min ? (f64 ? I::kIdMinpd : I::kIdMinps) : (f64 ? I::kIdMaxpd : I::kIdMaxps);
  const Id orp = f64 ? I::kIdOrpd : I::kIdOrps;
  const Id cmp = f64 ? I::kIdCmppd : I::kIdCmpps;
  const Id andn = f64 ? I::kIdAndnpd : I::kIdAndnps;
  const Id shr = f64 ? I::kIdPsrlq : I::kIdPsrld;
  const int shift = f64 ? 13 : 10;
  VReg a = A(0), bb = A(1);
  VReg x = Bin(mm, a, bb);  // min/max(a, b)
  VReg y = Bin(mm, bb, a);  // min/max(b, a)
  if (is_min) {
    RR(orp, x, y);  // -0 wins; NaN bits kept
  } else {
    RR(f64 ? I::kIdXorpd : I::kIdXorps, y, x);
    RR(orp, x, y);
    RR(f64 ? I::kIdSubpd : I::kIdSubps, x, y);
  }
  VReg m = Copy(x);
  RR(cmp, m, x, 3);  // unordered: NaN lanes
  RR(orp, x, m);
  RI(shr, m, shift);
  RR(andn, m, x);  // canonical NaN (quiet bit + sign) where NaN
  return m;
}

// kind: 0 eq 1 ne 2 lt 3 gt 4 le 5 ge.
VReg SimdLowerer::CmpInt(int lane, bool is_signed, int kind) {
  namespace I = ax::Inst;
  const Id eq = lane == 1 ? I::kIdPcmpeqb : lane == 2 ? I::kIdPcmpeqw
                : lane == 4 ? I::kIdPcmpeqd : I::kIdPcmpeqq;
  VReg a = A(0), bb = A(1);
  if (kind == 0) return Bin(eq, a, bb);
  if (kind == 1) return Not(Bin(eq, a, bb));
  if (is_signed) {
    const Id gt = lane == 1 ? I::kIdPcmpgtb : lane == 2 ? I::kIdPcmpgtw
                  : lane == 4 ? I::kIdPcmpgtd : I::kIdPcmpgtq;
    switch (kind) {
      case 2: return Bin(gt, bb, a);
      case 3: return Bin(gt, a, bb);
      case 4: return Not(Bin(gt, a, bb));
      default: return Not(Bin(gt, bb, a));
    }
  }
  const Id maxu = lane == 1 ? I::kIdPmaxub : lane == 2 ? I::kIdPmaxuw : I::kIdPmaxud;
  const Id minu = lane == 1 ? I::kIdPminub : lane == 2 ? I::kIdPminuw : I::kIdPminud;
  // ge_u(a, b): max(a, b) == a; le_u(a, b): min(a, b) == a.
  auto ge = [&] { VReg m = Bin(maxu, a, bb); RR(eq, m, a); return m; };
  auto le = [&] { VReg m = Bin(minu, a, bb); RR(eq, m, a); return m; };
  switch (kind) {
    case 2: return Not(ge());
    case 3: return Not(le());
    case 4: return le();
    default: return ge();
  }
}

VReg SimdLowerer::Shuffle() {
  uint8_t lanes[16];
  uint64_t lo = *ConstArg(2), hi = *ConstArg(3);
  std::memcpy(lanes, &lo, 8);
  std::memcpy(lanes + 8, &hi, 8);
  uint8_t ma[16], mb[16];
  bool use_a = false, use_b = false;
  for (int k = 0; k < 16; ++k) {
    ma[k] = lanes[k] < 16 ? lanes[k] : 0x80;
    mb[k] = lanes[k] >= 16 ? lanes[k] - 16 : 0x80;
    use_a |= lanes[k] < 16;
    use_b |= lanes[k] >= 16;
  }
  auto mask = [&](const uint8_t* m) {
    uint64_t l, h;
    std::memcpy(&l, m, 8);
    std::memcpy(&h, m + 8, 8);
    return Const(l, h);
  };
  VReg ra = kInvalidVReg, rb = kInvalidVReg;
  if (use_a) ra = Bin(ax::Inst::kIdPshufb, A(0), mask(ma));
  if (use_b) rb = Bin(ax::Inst::kIdPshufb, A(1), mask(mb));
  if (!use_b) return ra;
  if (!use_a) return rb;
  RR(ax::Inst::kIdPor, ra, rb);
  return ra;
}

VReg SimdLowerer::Popcnt() {
  namespace I = ax::Inst;
  VReg x = A(0);
  VReg m0f = Splat8(0x0f);
  VReg lo = Bin(I::kIdPand, x, m0f);
  VReg hi = Copy(x);
  RI(I::kIdPsrlw, hi, 4);
  RR(I::kIdPand, hi, m0f);
  VReg lut = Const(0x0302020102010100ull, 0x0403030203020201ull);
  VReg r1 = Bin(I::kIdPshufb, lut, lo);
  VReg r2 = Bin(I::kIdPshufb, lut, hi);
  RR(I::kIdPaddb, r1, r2);
  return r1;
}

absl::Status SimdLowerer::Run() {
  namespace I = ax::Inst;
  using O = Opcode;
  op_ = f_.opcode(i_);
  shape_ = f_.inst(i_).ctrl_type;
  const int lane = static_cast<int>(f_.inst(i_).imm);
  const uint8_t code = f_.inst(i_).code;
  if (absl::Status s = Need(ctx_.features.sse41, "SSE4.1"); !s.ok()) return s;
  VReg r = kInvalidVReg;
  auto bin = [&](Id id) { r = Bin(id, A(0), A(1)); };
  auto unimplemented = [&] {
    return absl::UnimplementedError(absl::StrCat(
        "x64 lowering of ", f_.name(), ": ", ir::PrintInst(f_, i_)));
  };
  switch (op_) {
    // Constants, splats, lanes.
    case O::kVconst:
      if (ConstArg(0) && ConstArg(1)) {
        r = Const(*ConstArg(0), *ConstArg(1));
      } else {
        r = GprToXmm(A(0), 8);
        RR(I::kIdPunpcklqdq, r, GprToXmm(A(1), 8));
      }
      break;
    case O::kSplat:
      switch (shape_) {
        case Type::kI8X16: r = BroadcastByte(GprToXmm(A(0), 4)); break;
        case Type::kI16X8:
          r = Un(I::kIdPshufd, Un(I::kIdPshuflw, GprToXmm(A(0), 4), 0), 0);
          break;
        case Type::kI32X4: r = Un(I::kIdPshufd, GprToXmm(A(0), 4), 0); break;
        case Type::kI64X2: r = Un(I::kIdPshufd, GprToXmm(A(0), 8), 0x44); break;
        case Type::kF32X4: r = Un(I::kIdPshufd, A(0), 0); break;
        default: r = Un(I::kIdPshufd, A(0), 0x44); break;
      }
      break;
    case O::kScalarToVector:
      switch (shape_) {
        case Type::kI32X4: r = GprToXmm(A(0), 4); break;
        case Type::kI64X2: r = GprToXmm(A(0), 8); break;
        default: return unimplemented();
      }
      break;
    case O::kExtractlane:
      switch (shape_) {
        case Type::kI8X16: case Type::kI16X8: case Type::kI32X4:
        case Type::kI64X2:
          b_.MovRR(Extract(ByLane({I::kIdPextrb, I::kIdPextrw, I::kIdPextrd,
                                   I::kIdPextrq}),
                           A(0), lane, shape_ == Type::kI64X2 ? 8 : 4),
                   Res(), 8);
          return absl::OkStatus();
        case Type::kF32X4: r = Un(I::kIdPshufd, A(0), lane); break;
        default: r = Un(I::kIdPshufd, A(0), lane ? 0xee : 0x44); break;
      }
      break;
    case O::kInsertlane:
      switch (shape_) {
        case Type::kI8X16: case Type::kI16X8: case Type::kI32X4:
        case Type::kI64X2:
          r = Copy(A(0));
          Insert(ByLane({I::kIdPinsrb, I::kIdPinsrw, I::kIdPinsrd, I::kIdPinsrq}),
                 r, A(1), lane, shape_ == Type::kI64X2 ? 8 : 4);
          break;
        case Type::kF32X4: r = Bin(I::kIdInsertps, A(0), A(1), lane << 4); break;
        default: r = Bin(lane ? I::kIdMovlhps : I::kIdMovsd, A(0), A(1)); break;
      }
      break;
    case O::kShuffle:
      if (!ConstArg(2) || !ConstArg(3)) {
        return absl::UnimplementedError(absl::StrCat(
            "x64 lowering of ", f_.name(), ": shuffle needs constant lanes"));
      }
      r = Shuffle();
      break;
    case O::kSwizzle: {
      VReg idx = Bin(I::kIdPaddusb, A(1), Splat8(0x70));
      r = Bin(I::kIdPshufb, A(0), idx);
      break;
    }

    // Bitwise.
    case O::kVbnot: r = Not(A(0)); break;
    case O::kVband: bin(I::kIdPand); break;
    case O::kVbor: bin(I::kIdPor); break;
    case O::kVbxor: bin(I::kIdPxor); break;
    case O::kVbandNot: r = Bin(I::kIdPandn, A(1), A(0)); break;
    case O::kBitselect: {  // c, x, y
      VReg t = Bin(I::kIdPand, A(1), A(0));
      r = Bin(I::kIdPandn, A(0), A(2));
      RR(I::kIdPor, r, t);
      break;
    }
    case O::kVanyTrue: {
      VReg m = Bin(I::kIdPcmpeqb, A(0), Zero());
      VReg g = Extract(I::kIdPmovmskb, m, -1, 4);
      b_.CmpImm(g, 0xffff, 4);
      b_.Setcc(kCondNE, Res());
      return absl::OkStatus();
    }
    case O::kVallTrue: {
      const Id eq = ByLane({I::kIdPcmpeqb, I::kIdPcmpeqw, I::kIdPcmpeqd, I::kIdPcmpeqq});
      VReg m = Bin(eq, Zero(), A(0));
      VReg g = Extract(I::kIdPmovmskb, m, -1, 4);
      b_.TestImm(g, 0xffff, 4);
      b_.Setcc(kCondE, Res());
      return absl::OkStatus();
    }
    case O::kVhighBits:
      switch (shape_) {
        case Type::kI8X16:
          b_.MovRR(Extract(I::kIdPmovmskb, A(0), -1, 4), Res(), 8);
          return absl::OkStatus();
        case Type::kI16X8: {
          VReg t = Bin(I::kIdPacksswb, A(0), A(0));
          VReg g = Extract(I::kIdPmovmskb, t, -1, 4);
          b_.ShiftRI(ShiftOp::kShr, g, 8, 4);
          b_.MovRR(g, Res(), 8);
          return absl::OkStatus();
        }
        case Type::kI32X4:
          b_.MovRR(Extract(I::kIdMovmskps, A(0), -1, 4), Res(), 8);
          return absl::OkStatus();
        default:
          b_.MovRR(Extract(I::kIdMovmskpd, A(0), -1, 4), Res(), 8);
          return absl::OkStatus();
      }

    // Integer arithmetic.
    case O::kViadd: bin(ByLane({I::kIdPaddb, I::kIdPaddw, I::kIdPaddd, I::kIdPaddq})); break;
    case O::kVisub: bin(ByLane({I::kIdPsubb, I::kIdPsubw, I::kIdPsubd, I::kIdPsubq})); break;
    case O::kVsaddSat: bin(ByLane({I::kIdPaddsb, I::kIdPaddsw})); break;
    case O::kVuaddSat: bin(ByLane({I::kIdPaddusb, I::kIdPaddusw})); break;
    case O::kVssubSat: bin(ByLane({I::kIdPsubsb, I::kIdPsubsw})); break;
    case O::kVusubSat: bin(ByLane({I::kIdPsubusb, I::kIdPsubusw})); break;
    case O::kVimul:
      if (shape_ != Type::kI64X2) {
        bin(shape_ == Type::kI16X8 ? I::kIdPmullw : I::kIdPmulld);
        break;
      } else {
        VReg a = A(0), bb = A(1);
        VReg t1 = Copy(a);
        RI(I::kIdPsrlq, t1, 32);
        RR(I::kIdPmuludq, t1, bb);
        VReg t2 = Copy(bb);
        RI(I::kIdPsrlq, t2, 32);
        RR(I::kIdPmuludq, t2, a);
        RR(I::kIdPaddq, t1, t2);
        RI(I::kIdPsllq, t1, 32);
        r = Bin(I::kIdPmuludq, a, bb);
        RR(I::kIdPaddq, r, t1);
        break;
      }
    case O::kVineg:
      r = Bin(ByLane({I::kIdPsubb, I::kIdPsubw, I::kIdPsubd, I::kIdPsubq}), Zero(), A(0));
      break;
    case O::kViabs:
      if (shape_ != Type::kI64X2) {
        r = Un(ByLane({I::kIdPabsb, I::kIdPabsw, I::kIdPabsd}), A(0));
      } else {
        VReg t = Copy(A(0));
        RI(I::kIdPsrad, t, 31);
        VReg s = Un(I::kIdPshufd, t, 0xf5);
        r = Bin(I::kIdPxor, A(0), s);
        RR(I::kIdPsubq, r, s);
      }
      break;
    case O::kVsmin: bin(ByLane({I::kIdPminsb, I::kIdPminsw, I::kIdPminsd})); break;
    case O::kVumin: bin(ByLane({I::kIdPminub, I::kIdPminuw, I::kIdPminud})); break;
    case O::kVsmax: bin(ByLane({I::kIdPmaxsb, I::kIdPmaxsw, I::kIdPmaxsd})); break;
    case O::kVumax: bin(ByLane({I::kIdPmaxub, I::kIdPmaxuw, I::kIdPmaxud})); break;
    case O::kAvgRound: bin(ByLane({I::kIdPavgb, I::kIdPavgw})); break;
    case O::kVpopcnt: r = Popcnt(); break;
    case O::kSqmulRoundSat: {
      r = Bin(I::kIdPmulhrsw, A(0), A(1));
      VReg m = Bin(I::kIdPcmpeqw, r, Splat16(0x8000));
      RR(I::kIdPxor, r, m);
      break;
    }
    case O::kSdotPairwise: bin(I::kIdPmaddwd); break;
    // The x86_* rows: one instruction each (pmaddubsw reads dst unsigned).
    case O::kX86Pshufb: bin(I::kIdPshufb); break;
    case O::kX86Pmulhrsw: bin(I::kIdPmulhrsw); break;
    case O::kX86Pmaddubsw: r = Bin(I::kIdPmaddubsw, A(1), A(0)); break;
    // VEX forms (translation asks for them only when the CPU has them).
    case O::kX86Blendv: {  // c, x, y: vblendv dst, y, x, c
      if (absl::Status s = Need(ctx_.features.avx, "AVX"); !s.ok()) return s;
      r = X();
      Vex(ByLane({I::kIdVpblendvb, I::kIdNone, I::kIdVblendvps, I::kIdVblendvpd}),
          Operand::Def(r), {A(2), A(1), A(0)});
      break;
    }
    case O::kVfma: {  // dst = c; dst = a * b + dst
      if (absl::Status s = Need(ctx_.features.fma, "FMA"); !s.ok()) return s;
      const Id id = shape_ == Type::kF64X2 ? I::kIdVfmadd231pd : I::kIdVfmadd231ps;
      r = Copy(A(2));
      Vex(id, Operand::Mod(r), {A(0), A(1)});
      break;
    }
    case O::kSwidenAddPairwise:
      r = shape_ == Type::kI8X16 ? Bin(I::kIdPmaddubsw, Splat8(1), A(0))
                                 : Bin(I::kIdPmaddwd, A(0), Splat16(1));
      break;
    case O::kUwidenAddPairwise:
      if (shape_ == Type::kI8X16) {
        r = Bin(I::kIdPmaddubsw, A(0), Splat8(1));
      } else {
        r = Bin(I::kIdPxor, A(0), Splat16(0x8000));
        RR(I::kIdPmaddwd, r, Splat16(1));
        RR(I::kIdPaddd, r, Splat32(0x00010000));
      }
      break;

    // Shifts.
    case O::kVishl: case O::kVushr: case O::kVsshr: {
      const int bits = ir::LaneBits(shape_);
      if (shape_ == Type::kI8X16) {
        if (op_ == O::kVsshr) {
          VReg c = ShiftCount(A(1), 8, 8);
          VReg lo = Bin(I::kIdPunpcklbw, A(0), A(0));
          RR(I::kIdPsraw, lo, c);
          VReg hi = Bin(I::kIdPunpckhbw, A(0), A(0));
          RR(I::kIdPsraw, hi, c);
          RR(I::kIdPacksswb, lo, hi);
          r = lo;
        } else {
          const bool left = op_ == O::kVishl;
          r = Bin(left ? I::kIdPsllw : I::kIdPsrlw, A(0), ShiftCount(A(1), 8));
          RR(I::kIdPand, r, ShiftMaskByte(A(1), left));
        }
        break;
      }
      if (op_ == O::kVsshr && shape_ == Type::kI64X2) {
        VReg c = ShiftCount(A(1), 64);
        VReg m = Splat64(0x8000000000000000ull);
        RR(I::kIdPsrlq, m, c);
        r = Bin(I::kIdPsrlq, A(0), c);
        RR(I::kIdPxor, r, m);
        RR(I::kIdPsubq, r, m);
        break;
      }
      const Id id = op_ == O::kVishl   ? ByLane({I::kIdNone, I::kIdPsllw, I::kIdPslld, I::kIdPsllq})
                    : op_ == O::kVushr ? ByLane({I::kIdNone, I::kIdPsrlw, I::kIdPsrld, I::kIdPsrlq})
                                       : ByLane({I::kIdNone, I::kIdPsraw, I::kIdPsrad, I::kIdNone});
      r = Bin(id, A(0), ShiftCount(A(1), bits));
      break;
    }

    // Compares.
    case O::kVicmp: {
      const auto cc = static_cast<ir::IntCC>(code);
      using C = ir::IntCC;
      const bool is_signed = cc == C::kSlt || cc == C::kSgt || cc == C::kSle || cc == C::kSge;
      const int kind = cc == C::kEq ? 0 : cc == C::kNe ? 1
                       : cc == C::kSlt || cc == C::kUlt ? 2
                       : cc == C::kSgt || cc == C::kUgt ? 3
                       : cc == C::kSle || cc == C::kUle ? 4 : 5;
      if (shape_ == Type::kI64X2 && kind >= 2) {
        if (!is_signed) return unimplemented();  // No pmaxuq before AVX-512.
        if (absl::Status s = Need(ctx_.features.sse42, "SSE4.2"); !s.ok()) return s;
      }
      r = CmpInt(LaneBytes(), is_signed, kind);
      break;
    }
    case O::kVfcmp: {
      // cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq; gt/ge swap operands.
      const Id id = F64() ? I::kIdCmppd : I::kIdCmpps;
      switch (static_cast<ir::FloatCC>(code)) {
        case ir::FloatCC::kEq: r = Bin(id, A(0), A(1), 0); break;
        case ir::FloatCC::kNe: r = Bin(id, A(0), A(1), 4); break;
        case ir::FloatCC::kLt: r = Bin(id, A(0), A(1), 1); break;
        case ir::FloatCC::kLe: r = Bin(id, A(0), A(1), 2); break;
        case ir::FloatCC::kGt: r = Bin(id, A(1), A(0), 1); break;
        case ir::FloatCC::kGe: r = Bin(id, A(1), A(0), 2); break;
        case ir::FloatCC::kOrd: r = Bin(id, A(0), A(1), 7); break;
        case ir::FloatCC::kUno: r = Bin(id, A(0), A(1), 3); break;
      }
      break;
    }

    // Float arithmetic.
    case O::kVfadd: bin(F64() ? I::kIdAddpd : I::kIdAddps); break;
    case O::kVfsub: bin(F64() ? I::kIdSubpd : I::kIdSubps); break;
    case O::kVfmul: bin(F64() ? I::kIdMulpd : I::kIdMulps); break;
    case O::kVfdiv: bin(F64() ? I::kIdDivpd : I::kIdDivps); break;
    case O::kVsqrt: r = Un(F64() ? I::kIdSqrtpd : I::kIdSqrtps, A(0)); break;
    case O::kVfabs:
      r = F64() ? Bin(I::kIdAndpd, A(0), Splat64(0x7fffffffffffffffull))
                : Bin(I::kIdAndps, A(0), Splat32(0x7fffffffu));
      break;
    case O::kVfneg:
      r = F64() ? Bin(I::kIdXorpd, A(0), Splat64(0x8000000000000000ull))
                : Bin(I::kIdXorps, A(0), Splat32(0x80000000u));
      break;
    case O::kVfmin: r = FMinMax(true, F64()); break;
    case O::kVfmax: r = FMinMax(false, F64()); break;
    case O::kFminPseudo: r = Bin(F64() ? I::kIdMinpd : I::kIdMinps, A(1), A(0)); break;
    case O::kFmaxPseudo: r = Bin(F64() ? I::kIdMaxpd : I::kIdMaxps, A(1), A(0)); break;
    case O::kVceil: r = Un(F64() ? I::kIdRoundpd : I::kIdRoundps, A(0), 2); break;
    case O::kVfloor: r = Un(F64() ? I::kIdRoundpd : I::kIdRoundps, A(0), 1); break;
    case O::kVtrunc: r = Un(F64() ? I::kIdRoundpd : I::kIdRoundps, A(0), 3); break;
    case O::kVnearest: r = Un(F64() ? I::kIdRoundpd : I::kIdRoundps, A(0), 0); break;

    // Conversions.
    case O::kVfcvtFromSint: r = Un(I::kIdCvtdq2ps, A(0)); break;
    case O::kVfcvtFromUint: {
      VReg lo = Copy(A(0));
      RI(I::kIdPslld, lo, 16);
      RI(I::kIdPsrld, lo, 16);
      VReg hi = Bin(I::kIdPsubd, A(0), lo);
      VReg flo = Un(I::kIdCvtdq2ps, lo);
      RI(I::kIdPsrld, hi, 1);
      r = Un(I::kIdCvtdq2ps, hi);
      RR(I::kIdAddps, r, Copy(r));
      RR(I::kIdAddps, r, flo);
      break;
    }
    case O::kVfcvtToSintSat: {
      VReg m = Bin(I::kIdCmpps, A(0), A(0), 0);  // not NaN
      VReg d = Bin(I::kIdAndps, A(0), m);
      VReg big = Splat32(0x4f000000u);  // 2^31
      RR(I::kIdCmpps, big, d, 2);       // 2^31 <= d
      r = Un(I::kIdCvttps2dq, d);
      RR(I::kIdPxor, r, big);
      break;
    }
    case O::kVfcvtToUintSat: {
      VReg d = Bin(I::kIdMaxps, A(0), Zero());  // NaN and negatives -> 0
      VReg two31 = Splat32(0x4f000000u);
      VReg t = Bin(I::kIdSubps, d, two31);
      VReg ge = Bin(I::kIdCmpps, two31, d, 2);  // d >= 2^31
      VReg r2 = Un(I::kIdCvttps2dq, t);
      RR(I::kIdPand, r2, ge);
      VReg over = Bin(I::kIdCmpps, Splat32(0x4f800000u), d, 2);  // d >= 2^32
      r = Un(I::kIdCvttps2dq, d);
      RR(I::kIdPaddd, r, r2);
      RR(I::kIdPor, r, over);
      break;
    }
    case O::kFcvtToSintSatZero: {
      VReg m = Bin(I::kIdCmppd, A(0), A(0), 0);
      VReg d = Bin(I::kIdAndpd, A(0), m);
      RR(I::kIdMinpd, d, Splat64(0x41dfffffffc00000ull));  // 2147483647.0
      r = Un(I::kIdCvttpd2dq, d);
      break;
    }
    case O::kFcvtToUintSatZero: {
      VReg z = Zero();
      r = Bin(I::kIdMaxpd, A(0), z);
      RR(I::kIdMinpd, r, Splat64(0x41efffffffe00000ull));  // 4294967295.0
      RR(I::kIdRoundpd, r, Copy(r), 3);
      RR(I::kIdAddpd, r, Splat64(0x4330000000000000ull));  // 2^52
      RR(I::kIdShufps, r, z, 0x88);
      break;
    }
    case O::kFcvtLowFromSint: r = Un(I::kIdCvtdq2pd, A(0)); break;
    case O::kFcvtLowFromUint: {
      r = Bin(I::kIdUnpcklps, A(0), Splat32(0x43300000u));
      RR(I::kIdSubpd, r, Splat64(0x4330000000000000ull));
      break;
    }
    case O::kFvdemote: r = Un(I::kIdCvtpd2ps, A(0)); break;
    case O::kFvpromoteLow: r = Un(I::kIdCvtps2pd, A(0)); break;

    // Narrow / widen (the shape is the input's).
    case O::kSnarrow: bin(shape_ == Type::kI16X8 ? I::kIdPacksswb : I::kIdPackssdw); break;
    case O::kUnarrow: bin(shape_ == Type::kI16X8 ? I::kIdPackuswb : I::kIdPackusdw); break;
    case O::kSwidenLow: case O::kSwidenHigh: case O::kUwidenLow:
    case O::kUwidenHigh: {
      const bool s = op_ == O::kSwidenLow || op_ == O::kSwidenHigh;
      const bool high = op_ == O::kSwidenHigh || op_ == O::kUwidenHigh;
      const Id id = s ? ByLane({I::kIdPmovsxbw, I::kIdPmovsxwd, I::kIdPmovsxdq})
                      : ByLane({I::kIdPmovzxbw, I::kIdPmovzxwd, I::kIdPmovzxdq});
      r = Un(id, high ? Un(I::kIdPshufd, A(0), 0xee) : A(0));
      break;
    }

    // Extended multiplication.
    case O::kSwidenMulLow: case O::kSwidenMulHigh: case O::kUwidenMulLow:
    case O::kUwidenMulHigh: {
      const bool s = op_ == O::kSwidenMulLow || op_ == O::kSwidenMulHigh;
      const bool high = op_ == O::kSwidenMulHigh || op_ == O::kUwidenMulHigh;
      if (shape_ == Type::kI8X16) {
        const Id ext = s ? I::kIdPmovsxbw : I::kIdPmovzxbw;
        VReg x = high ? Un(I::kIdPshufd, A(0), 0xee) : A(0);
        VReg y = high ? Un(I::kIdPshufd, A(1), 0xee) : A(1);
        r = Un(ext, x);
        RR(I::kIdPmullw, r, Un(ext, y));
      } else if (shape_ == Type::kI16X8) {
        VReg lo = Bin(I::kIdPmullw, A(0), A(1));
        VReg hi = Bin(s ? I::kIdPmulhw : I::kIdPmulhuw, A(0), A(1));
        r = Bin(high ? I::kIdPunpckhwd : I::kIdPunpcklwd, lo, hi);
      } else {
        r = Un(I::kIdPshufd, A(0), high ? 0xfa : 0x50);
        RR(s ? I::kIdPmuldq : I::kIdPmuludq, r,
           Un(I::kIdPshufd, A(1), high ? 0xfa : 0x50));
      }
      break;
    }

    default:
      return unimplemented();
  }
  b_.XmmMov(r, Res());
  return absl::OkStatus();
}

}  // namespace

absl::Status LowerSimd(Builder& b, const ir::Function& f, ir::Inst i,
                       const CompileContext& ctx,
                       absl::FunctionRef<VReg(ir::Value)> vreg) {
  return SimdLowerer(b, f, i, ctx, vreg).Run();
}

}  // namespace kiln::isa::x64
