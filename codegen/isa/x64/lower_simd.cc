#include "codegen/isa/x64/lower_simd.h"

#include <asmjit/x86.h>

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "codegen/ir/simd.h"
#include "wasm/opcodes.h"

namespace kiln::isa::x64 {
namespace {

namespace ax = asmjit::x86;
using Id = ax::Inst::Id;
using wasm::Opcode;

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
        "x64 lowering of ", f_.name(), ": ", wasm::OpcodeName(op_),
        " needs ", what));
  }
  // The value of operand k if it is an iconst (lower.cc does not
  // materialize those for v128.const and shuffle).
  std::optional<uint64_t> ConstArg(int k) const {
    ir::Inst d = f_.DefiningInst(f_.args(i_)[k]);
    if (!d.valid() || f_.opcode(d) != ir::Opcode::kIconst) return std::nullopt;
    return static_cast<uint64_t>(f_.inst(d).imm);
  }
  VReg FMinMax(bool is_min, bool f64);
  VReg CmpInt(int lane_bytes, bool is_signed, int kind);  // kind: 0 eq 1 ne 2 lt 3 gt 4 le 5 ge
  VReg Shuffle();
  VReg Popcnt();

  Builder& b_;
  const ir::Function& f_;
  ir::Inst i_;
  const CompileContext& ctx_;
  absl::FunctionRef<VReg(ir::Value)> vreg_;
  Opcode op_ = Opcode::kInvalid;
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
  op_ = static_cast<Opcode>(f_.inst(i_).ref);
  const int lane = static_cast<int>(f_.inst(i_).imm);
  if (absl::Status s = Need(ctx_.features.sse41, "SSE4.1"); !s.ok()) return s;
  VReg r = kInvalidVReg;
  auto bin = [&](Id id) { r = Bin(id, A(0), A(1)); };
  switch (op_) {
    // Constants, splats, lanes.
    case O::kV128Const:
      if (ConstArg(0) && ConstArg(1)) {
        r = Const(*ConstArg(0), *ConstArg(1));
      } else {
        r = GprToXmm(A(0), 8);
        RR(I::kIdPunpcklqdq, r, GprToXmm(A(1), 8));
      }
      break;
    case O::kI8X16Splat: case O::kV128Load8Splat:
      r = BroadcastByte(GprToXmm(A(0), 4));
      break;
    case O::kI16X8Splat: case O::kV128Load16Splat:
      r = Un(I::kIdPshufd, Un(I::kIdPshuflw, GprToXmm(A(0), 4), 0), 0);
      break;
    case O::kI32X4Splat: case O::kV128Load32Splat:
      r = Un(I::kIdPshufd, GprToXmm(A(0), 4), 0);
      break;
    case O::kI64X2Splat: case O::kV128Load64Splat:
      r = Un(I::kIdPshufd, GprToXmm(A(0), 8), 0x44);
      break;
    case O::kF32X4Splat: r = Un(I::kIdPshufd, A(0), 0); break;
    case O::kF64X2Splat: r = Un(I::kIdPshufd, A(0), 0x44); break;
    case O::kV128Load32Zero: r = GprToXmm(A(0), 4); break;
    case O::kV128Load64Zero: r = GprToXmm(A(0), 8); break;
    case O::kV128Load8X8S: r = Un(I::kIdPmovsxbw, GprToXmm(A(0), 8)); break;
    case O::kV128Load8X8U: r = Un(I::kIdPmovzxbw, GprToXmm(A(0), 8)); break;
    case O::kV128Load16X4S: r = Un(I::kIdPmovsxwd, GprToXmm(A(0), 8)); break;
    case O::kV128Load16X4U: r = Un(I::kIdPmovzxwd, GprToXmm(A(0), 8)); break;
    case O::kV128Load32X2S: r = Un(I::kIdPmovsxdq, GprToXmm(A(0), 8)); break;
    case O::kV128Load32X2U: r = Un(I::kIdPmovzxdq, GprToXmm(A(0), 8)); break;
    case O::kI8X16ExtractLaneS: case O::kI16X8ExtractLaneS: {
      const bool b8 = op_ == O::kI8X16ExtractLaneS;
      VReg g = Extract(b8 ? I::kIdPextrb : I::kIdPextrw, A(0), lane, 4);
      b_.Ext(b8 ? LoadKind::kS8x32 : LoadKind::kS16x32, g, Res());
      return absl::OkStatus();
    }
    case O::kI8X16ExtractLaneU:
      b_.MovRR(Extract(I::kIdPextrb, A(0), lane, 4), Res(), 8);
      return absl::OkStatus();
    case O::kI16X8ExtractLaneU:
      b_.MovRR(Extract(I::kIdPextrw, A(0), lane, 4), Res(), 8);
      return absl::OkStatus();
    case O::kI32X4ExtractLane:
      b_.MovRR(Extract(I::kIdPextrd, A(0), lane, 4), Res(), 8);
      return absl::OkStatus();
    case O::kI64X2ExtractLane:
      b_.MovRR(Extract(I::kIdPextrq, A(0), lane, 8), Res(), 8);
      return absl::OkStatus();
    case O::kF32X4ExtractLane: r = Un(I::kIdPshufd, A(0), lane); break;
    case O::kF64X2ExtractLane: r = Un(I::kIdPshufd, A(0), lane ? 0xee : 0x44); break;
    case O::kI8X16ReplaceLane: r = Copy(A(0)); Insert(I::kIdPinsrb, r, A(1), lane, 4); break;
    case O::kI16X8ReplaceLane: r = Copy(A(0)); Insert(I::kIdPinsrw, r, A(1), lane, 4); break;
    case O::kI32X4ReplaceLane: r = Copy(A(0)); Insert(I::kIdPinsrd, r, A(1), lane, 4); break;
    case O::kI64X2ReplaceLane: r = Copy(A(0)); Insert(I::kIdPinsrq, r, A(1), lane, 8); break;
    case O::kF32X4ReplaceLane: r = Bin(I::kIdInsertps, A(0), A(1), lane << 4); break;
    case O::kF64X2ReplaceLane:
      r = Bin(lane ? I::kIdMovlhps : I::kIdMovsd, A(0), A(1));
      break;
    case O::kI8X16Shuffle:
      if (!ConstArg(2) || !ConstArg(3)) {
        return absl::UnimplementedError(absl::StrCat(
            "x64 lowering of ", f_.name(), ": i8x16.shuffle needs constant lanes"));
      }
      r = Shuffle();
      break;
    case O::kI8X16Swizzle: {
      VReg idx = Bin(I::kIdPaddusb, A(1), Splat8(0x70));
      r = Bin(I::kIdPshufb, A(0), idx);
      break;
    }

    // Bitwise.
    case O::kV128Not: r = Not(A(0)); break;
    case O::kV128And: bin(I::kIdPand); break;
    case O::kV128Or: bin(I::kIdPor); break;
    case O::kV128Xor: bin(I::kIdPxor); break;
    case O::kV128Andnot: r = Bin(I::kIdPandn, A(1), A(0)); break;
    case O::kV128BitSelect: {
      VReg t = Bin(I::kIdPand, A(0), A(2));
      r = Bin(I::kIdPandn, A(2), A(1));
      RR(I::kIdPor, r, t);
      break;
    }
    case O::kV128AnyTrue: {
      VReg m = Bin(I::kIdPcmpeqb, A(0), Zero());
      VReg g = Extract(I::kIdPmovmskb, m, -1, 4);
      b_.CmpImm(g, 0xffff, 4);
      b_.Setcc(kCondNE, Res());
      return absl::OkStatus();
    }
    case O::kI8X16AllTrue: case O::kI16X8AllTrue: case O::kI32X4AllTrue:
    case O::kI64X2AllTrue: {
      const Id eq = op_ == O::kI8X16AllTrue ? I::kIdPcmpeqb
                    : op_ == O::kI16X8AllTrue ? I::kIdPcmpeqw
                    : op_ == O::kI32X4AllTrue ? I::kIdPcmpeqd : I::kIdPcmpeqq;
      VReg m = Bin(eq, Zero(), A(0));
      VReg g = Extract(I::kIdPmovmskb, m, -1, 4);
      b_.TestImm(g, 0xffff, 4);
      b_.Setcc(kCondE, Res());
      return absl::OkStatus();
    }
    case O::kI8X16Bitmask:
      b_.MovRR(Extract(I::kIdPmovmskb, A(0), -1, 4), Res(), 8);
      return absl::OkStatus();
    case O::kI16X8Bitmask: {
      VReg t = Bin(I::kIdPacksswb, A(0), A(0));
      VReg g = Extract(I::kIdPmovmskb, t, -1, 4);
      b_.ShiftRI(ShiftOp::kShr, g, 8, 4);
      b_.MovRR(g, Res(), 8);
      return absl::OkStatus();
    }
    case O::kI32X4Bitmask:
      b_.MovRR(Extract(I::kIdMovmskps, A(0), -1, 4), Res(), 8);
      return absl::OkStatus();
    case O::kI64X2Bitmask:
      b_.MovRR(Extract(I::kIdMovmskpd, A(0), -1, 4), Res(), 8);
      return absl::OkStatus();

    // Integer arithmetic.
    case O::kI8X16Add: bin(I::kIdPaddb); break;
    case O::kI16X8Add: bin(I::kIdPaddw); break;
    case O::kI32X4Add: bin(I::kIdPaddd); break;
    case O::kI64X2Add: bin(I::kIdPaddq); break;
    case O::kI8X16Sub: bin(I::kIdPsubb); break;
    case O::kI16X8Sub: bin(I::kIdPsubw); break;
    case O::kI32X4Sub: bin(I::kIdPsubd); break;
    case O::kI64X2Sub: bin(I::kIdPsubq); break;
    case O::kI8X16AddSatS: bin(I::kIdPaddsb); break;
    case O::kI8X16AddSatU: bin(I::kIdPaddusb); break;
    case O::kI8X16SubSatS: bin(I::kIdPsubsb); break;
    case O::kI8X16SubSatU: bin(I::kIdPsubusb); break;
    case O::kI16X8AddSatS: bin(I::kIdPaddsw); break;
    case O::kI16X8AddSatU: bin(I::kIdPaddusw); break;
    case O::kI16X8SubSatS: bin(I::kIdPsubsw); break;
    case O::kI16X8SubSatU: bin(I::kIdPsubusw); break;
    case O::kI16X8Mul: bin(I::kIdPmullw); break;
    case O::kI32X4Mul: bin(I::kIdPmulld); break;
    case O::kI64X2Mul: {
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
    case O::kI8X16Neg: r = Bin(I::kIdPsubb, Zero(), A(0)); break;
    case O::kI16X8Neg: r = Bin(I::kIdPsubw, Zero(), A(0)); break;
    case O::kI32X4Neg: r = Bin(I::kIdPsubd, Zero(), A(0)); break;
    case O::kI64X2Neg: r = Bin(I::kIdPsubq, Zero(), A(0)); break;
    case O::kI8X16Abs: r = Un(I::kIdPabsb, A(0)); break;
    case O::kI16X8Abs: r = Un(I::kIdPabsw, A(0)); break;
    case O::kI32X4Abs: r = Un(I::kIdPabsd, A(0)); break;
    case O::kI64X2Abs: {
      VReg t = Copy(A(0));
      RI(I::kIdPsrad, t, 31);
      VReg s = Un(I::kIdPshufd, t, 0xf5);
      r = Bin(I::kIdPxor, A(0), s);
      RR(I::kIdPsubq, r, s);
      break;
    }
    case O::kI8X16MinS: bin(I::kIdPminsb); break;
    case O::kI8X16MinU: bin(I::kIdPminub); break;
    case O::kI8X16MaxS: bin(I::kIdPmaxsb); break;
    case O::kI8X16MaxU: bin(I::kIdPmaxub); break;
    case O::kI16X8MinS: bin(I::kIdPminsw); break;
    case O::kI16X8MinU: bin(I::kIdPminuw); break;
    case O::kI16X8MaxS: bin(I::kIdPmaxsw); break;
    case O::kI16X8MaxU: bin(I::kIdPmaxuw); break;
    case O::kI32X4MinS: bin(I::kIdPminsd); break;
    case O::kI32X4MinU: bin(I::kIdPminud); break;
    case O::kI32X4MaxS: bin(I::kIdPmaxsd); break;
    case O::kI32X4MaxU: bin(I::kIdPmaxud); break;
    case O::kI8X16AvgrU: bin(I::kIdPavgb); break;
    case O::kI16X8AvgrU: bin(I::kIdPavgw); break;
    case O::kI8X16Popcnt: r = Popcnt(); break;
    case O::kI16X8Q15mulrSatS: {
      r = Bin(I::kIdPmulhrsw, A(0), A(1));
      VReg m = Bin(I::kIdPcmpeqw, r, Splat16(0x8000));
      RR(I::kIdPxor, r, m);
      break;
    }
    case O::kI32X4DotI16X8S: bin(I::kIdPmaddwd); break;
    case O::kI16X8ExtaddPairwiseI8X16S: r = Bin(I::kIdPmaddubsw, Splat8(1), A(0)); break;
    case O::kI16X8ExtaddPairwiseI8X16U: r = Bin(I::kIdPmaddubsw, A(0), Splat8(1)); break;
    case O::kI32X4ExtaddPairwiseI16X8S: r = Bin(I::kIdPmaddwd, A(0), Splat16(1)); break;
    case O::kI32X4ExtaddPairwiseI16X8U: {
      r = Bin(I::kIdPxor, A(0), Splat16(0x8000));
      RR(I::kIdPmaddwd, r, Splat16(1));
      RR(I::kIdPaddd, r, Splat32(0x00010000));
      break;
    }

    // Shifts.
    case O::kI16X8Shl: r = Bin(I::kIdPsllw, A(0), ShiftCount(A(1), 16)); break;
    case O::kI16X8ShrS: r = Bin(I::kIdPsraw, A(0), ShiftCount(A(1), 16)); break;
    case O::kI16X8ShrU: r = Bin(I::kIdPsrlw, A(0), ShiftCount(A(1), 16)); break;
    case O::kI32X4Shl: r = Bin(I::kIdPslld, A(0), ShiftCount(A(1), 32)); break;
    case O::kI32X4ShrS: r = Bin(I::kIdPsrad, A(0), ShiftCount(A(1), 32)); break;
    case O::kI32X4ShrU: r = Bin(I::kIdPsrld, A(0), ShiftCount(A(1), 32)); break;
    case O::kI64X2Shl: r = Bin(I::kIdPsllq, A(0), ShiftCount(A(1), 64)); break;
    case O::kI64X2ShrU: r = Bin(I::kIdPsrlq, A(0), ShiftCount(A(1), 64)); break;
    case O::kI64X2ShrS: {
      VReg c = ShiftCount(A(1), 64);
      VReg m = Splat64(0x8000000000000000ull);
      RR(I::kIdPsrlq, m, c);
      r = Bin(I::kIdPsrlq, A(0), c);
      RR(I::kIdPxor, r, m);
      RR(I::kIdPsubq, r, m);
      break;
    }
    case O::kI8X16Shl: case O::kI8X16ShrU: {
      const bool left = op_ == O::kI8X16Shl;
      r = Bin(left ? I::kIdPsllw : I::kIdPsrlw, A(0), ShiftCount(A(1), 8));
      RR(I::kIdPand, r, ShiftMaskByte(A(1), left));
      break;
    }
    case O::kI8X16ShrS: {
      VReg c = ShiftCount(A(1), 8, 8);
      VReg lo = Bin(I::kIdPunpcklbw, A(0), A(0));
      RR(I::kIdPsraw, lo, c);
      VReg hi = Bin(I::kIdPunpckhbw, A(0), A(0));
      RR(I::kIdPsraw, hi, c);
      RR(I::kIdPacksswb, lo, hi);
      r = lo;
      break;
    }

    // Integer compares.
#define KILN_CMP(Name, lane_bytes, sgn, kind) \
  case O::k##Name: r = CmpInt(lane_bytes, sgn, kind); break;
    KILN_CMP(I8X16Eq, 1, true, 0) KILN_CMP(I8X16Ne, 1, true, 1)
    KILN_CMP(I8X16LtS, 1, true, 2) KILN_CMP(I8X16GtS, 1, true, 3)
    KILN_CMP(I8X16LeS, 1, true, 4) KILN_CMP(I8X16GeS, 1, true, 5)
    KILN_CMP(I8X16LtU, 1, false, 2) KILN_CMP(I8X16GtU, 1, false, 3)
    KILN_CMP(I8X16LeU, 1, false, 4) KILN_CMP(I8X16GeU, 1, false, 5)
    KILN_CMP(I16X8Eq, 2, true, 0) KILN_CMP(I16X8Ne, 2, true, 1)
    KILN_CMP(I16X8LtS, 2, true, 2) KILN_CMP(I16X8GtS, 2, true, 3)
    KILN_CMP(I16X8LeS, 2, true, 4) KILN_CMP(I16X8GeS, 2, true, 5)
    KILN_CMP(I16X8LtU, 2, false, 2) KILN_CMP(I16X8GtU, 2, false, 3)
    KILN_CMP(I16X8LeU, 2, false, 4) KILN_CMP(I16X8GeU, 2, false, 5)
    KILN_CMP(I32X4Eq, 4, true, 0) KILN_CMP(I32X4Ne, 4, true, 1)
    KILN_CMP(I32X4LtS, 4, true, 2) KILN_CMP(I32X4GtS, 4, true, 3)
    KILN_CMP(I32X4LeS, 4, true, 4) KILN_CMP(I32X4GeS, 4, true, 5)
    KILN_CMP(I32X4LtU, 4, false, 2) KILN_CMP(I32X4GtU, 4, false, 3)
    KILN_CMP(I32X4LeU, 4, false, 4) KILN_CMP(I32X4GeU, 4, false, 5)
    KILN_CMP(I64X2Eq, 8, true, 0) KILN_CMP(I64X2Ne, 8, true, 1)
#undef KILN_CMP
    case O::kI64X2LtS: case O::kI64X2GtS: case O::kI64X2LeS: case O::kI64X2GeS: {
      if (absl::Status s = Need(ctx_.features.sse42, "SSE4.2"); !s.ok()) return s;
      const int kind = op_ == O::kI64X2LtS ? 2 : op_ == O::kI64X2GtS ? 3
                       : op_ == O::kI64X2LeS ? 4 : 5;
      r = CmpInt(8, true, kind);
      break;
    }

    // Float compares (cmpps predicates: 0 eq, 1 lt, 2 le, 4 neq).
    case O::kF32X4Eq: r = Bin(I::kIdCmpps, A(0), A(1), 0); break;
    case O::kF32X4Ne: r = Bin(I::kIdCmpps, A(0), A(1), 4); break;
    case O::kF32X4Lt: r = Bin(I::kIdCmpps, A(0), A(1), 1); break;
    case O::kF32X4Le: r = Bin(I::kIdCmpps, A(0), A(1), 2); break;
    case O::kF32X4Gt: r = Bin(I::kIdCmpps, A(1), A(0), 1); break;
    case O::kF32X4Ge: r = Bin(I::kIdCmpps, A(1), A(0), 2); break;
    case O::kF64X2Eq: r = Bin(I::kIdCmppd, A(0), A(1), 0); break;
    case O::kF64X2Ne: r = Bin(I::kIdCmppd, A(0), A(1), 4); break;
    case O::kF64X2Lt: r = Bin(I::kIdCmppd, A(0), A(1), 1); break;
    case O::kF64X2Le: r = Bin(I::kIdCmppd, A(0), A(1), 2); break;
    case O::kF64X2Gt: r = Bin(I::kIdCmppd, A(1), A(0), 1); break;
    case O::kF64X2Ge: r = Bin(I::kIdCmppd, A(1), A(0), 2); break;

    // Float arithmetic.
    case O::kF32X4Add: bin(I::kIdAddps); break;
    case O::kF32X4Sub: bin(I::kIdSubps); break;
    case O::kF32X4Mul: bin(I::kIdMulps); break;
    case O::kF32X4Div: bin(I::kIdDivps); break;
    case O::kF64X2Add: bin(I::kIdAddpd); break;
    case O::kF64X2Sub: bin(I::kIdSubpd); break;
    case O::kF64X2Mul: bin(I::kIdMulpd); break;
    case O::kF64X2Div: bin(I::kIdDivpd); break;
    case O::kF32X4Sqrt: r = Un(I::kIdSqrtps, A(0)); break;
    case O::kF64X2Sqrt: r = Un(I::kIdSqrtpd, A(0)); break;
    case O::kF32X4Abs: r = Bin(I::kIdAndps, A(0), Splat32(0x7fffffffu)); break;
    case O::kF32X4Neg: r = Bin(I::kIdXorps, A(0), Splat32(0x80000000u)); break;
    case O::kF64X2Abs: r = Bin(I::kIdAndpd, A(0), Splat64(0x7fffffffffffffffull)); break;
    case O::kF64X2Neg: r = Bin(I::kIdXorpd, A(0), Splat64(0x8000000000000000ull)); break;
    case O::kF32X4Min: r = FMinMax(true, false); break;
    case O::kF32X4Max: r = FMinMax(false, false); break;
    case O::kF64X2Min: r = FMinMax(true, true); break;
    case O::kF64X2Max: r = FMinMax(false, true); break;
    case O::kF32X4PMin: r = Bin(I::kIdMinps, A(1), A(0)); break;
    case O::kF32X4PMax: r = Bin(I::kIdMaxps, A(1), A(0)); break;
    case O::kF64X2PMin: r = Bin(I::kIdMinpd, A(1), A(0)); break;
    case O::kF64X2PMax: r = Bin(I::kIdMaxpd, A(1), A(0)); break;
    case O::kF32X4Ceil: r = Un(I::kIdRoundps, A(0), 2); break;
    case O::kF32X4Floor: r = Un(I::kIdRoundps, A(0), 1); break;
    case O::kF32X4Trunc: r = Un(I::kIdRoundps, A(0), 3); break;
    case O::kF32X4Nearest: r = Un(I::kIdRoundps, A(0), 0); break;
    case O::kF64X2Ceil: r = Un(I::kIdRoundpd, A(0), 2); break;
    case O::kF64X2Floor: r = Un(I::kIdRoundpd, A(0), 1); break;
    case O::kF64X2Trunc: r = Un(I::kIdRoundpd, A(0), 3); break;
    case O::kF64X2Nearest: r = Un(I::kIdRoundpd, A(0), 0); break;

    // Conversions.
    case O::kF32X4ConvertI32X4S: r = Un(I::kIdCvtdq2ps, A(0)); break;
    case O::kF32X4ConvertI32X4U: {
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
    case O::kI32X4TruncSatF32X4S: {
      VReg m = Bin(I::kIdCmpps, A(0), A(0), 0);  // not NaN
      VReg d = Bin(I::kIdAndps, A(0), m);
      VReg big = Splat32(0x4f000000u);  // 2^31
      RR(I::kIdCmpps, big, d, 2);       // 2^31 <= d
      r = Un(I::kIdCvttps2dq, d);
      RR(I::kIdPxor, r, big);
      break;
    }
    case O::kI32X4TruncSatF32X4U: {
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
    case O::kI32X4TruncSatF64X2SZero: {
      VReg m = Bin(I::kIdCmppd, A(0), A(0), 0);
      VReg d = Bin(I::kIdAndpd, A(0), m);
      RR(I::kIdMinpd, d, Splat64(0x41dfffffffc00000ull));  // 2147483647.0
      r = Un(I::kIdCvttpd2dq, d);
      break;
    }
    case O::kI32X4TruncSatF64X2UZero: {
      VReg z = Zero();
      r = Bin(I::kIdMaxpd, A(0), z);
      RR(I::kIdMinpd, r, Splat64(0x41efffffffe00000ull));  // 4294967295.0
      RR(I::kIdRoundpd, r, Copy(r), 3);
      RR(I::kIdAddpd, r, Splat64(0x4330000000000000ull));  // 2^52
      RR(I::kIdShufps, r, z, 0x88);
      break;
    }
    case O::kF64X2ConvertLowI32X4S: r = Un(I::kIdCvtdq2pd, A(0)); break;
    case O::kF64X2ConvertLowI32X4U: {
      r = Bin(I::kIdUnpcklps, A(0), Splat32(0x43300000u));
      RR(I::kIdSubpd, r, Splat64(0x4330000000000000ull));
      break;
    }
    case O::kF32X4DemoteF64X2Zero: r = Un(I::kIdCvtpd2ps, A(0)); break;
    case O::kF64X2PromoteLowF32X4: r = Un(I::kIdCvtps2pd, A(0)); break;

    // Narrow / extend.
    case O::kI8X16NarrowI16X8S: bin(I::kIdPacksswb); break;
    case O::kI8X16NarrowI16X8U: bin(I::kIdPackuswb); break;
    case O::kI16X8NarrowI32X4S: bin(I::kIdPackssdw); break;
    case O::kI16X8NarrowI32X4U: bin(I::kIdPackusdw); break;
#define KILN_EXT(Lo, Hi, id)                                        \
  case O::k##Lo: r = Un(id, A(0)); break;                           \
  case O::k##Hi: r = Un(id, Un(I::kIdPshufd, A(0), 0xee)); break;
    KILN_EXT(I16X8ExtendLowI8X16S, I16X8ExtendHighI8X16S, I::kIdPmovsxbw)
    KILN_EXT(I16X8ExtendLowI8X16U, I16X8ExtendHighI8X16U, I::kIdPmovzxbw)
    KILN_EXT(I32X4ExtendLowI16X8S, I32X4ExtendHighI16X8S, I::kIdPmovsxwd)
    KILN_EXT(I32X4ExtendLowI16X8U, I32X4ExtendHighI16X8U, I::kIdPmovzxwd)
    KILN_EXT(I64X2ExtendLowI32X4S, I64X2ExtendHighI32X4S, I::kIdPmovsxdq)
    KILN_EXT(I64X2ExtendLowI32X4U, I64X2ExtendHighI32X4U, I::kIdPmovzxdq)
#undef KILN_EXT

    // Extended multiplication.
#define KILN_EXTMUL16(Name, high, ext)                                   \
  case O::k##Name: {                                                     \
    VReg x = high ? Un(I::kIdPshufd, A(0), 0xee) : A(0);                 \
    VReg y = high ? Un(I::kIdPshufd, A(1), 0xee) : A(1);                 \
    r = Un(ext, x);                                                      \
    RR(I::kIdPmullw, r, Un(ext, y));                                     \
    break;                                                               \
  }
    KILN_EXTMUL16(I16X8ExtmulLowI8X16S, false, I::kIdPmovsxbw)
    KILN_EXTMUL16(I16X8ExtmulHighI8X16S, true, I::kIdPmovsxbw)
    KILN_EXTMUL16(I16X8ExtmulLowI8X16U, false, I::kIdPmovzxbw)
    KILN_EXTMUL16(I16X8ExtmulHighI8X16U, true, I::kIdPmovzxbw)
#undef KILN_EXTMUL16
#define KILN_EXTMUL32(Name, high, mulh)                                  \
  case O::k##Name: {                                                     \
    VReg lo = Bin(I::kIdPmullw, A(0), A(1));                             \
    VReg hi = Bin(mulh, A(0), A(1));                                     \
    r = Bin(high ? I::kIdPunpckhwd : I::kIdPunpcklwd, lo, hi);           \
    break;                                                               \
  }
    KILN_EXTMUL32(I32X4ExtmulLowI16X8S, false, I::kIdPmulhw)
    KILN_EXTMUL32(I32X4ExtmulHighI16X8S, true, I::kIdPmulhw)
    KILN_EXTMUL32(I32X4ExtmulLowI16X8U, false, I::kIdPmulhuw)
    KILN_EXTMUL32(I32X4ExtmulHighI16X8U, true, I::kIdPmulhuw)
#undef KILN_EXTMUL32
#define KILN_EXTMUL64(Name, high, mul)                                   \
  case O::k##Name: {                                                     \
    r = Un(I::kIdPshufd, A(0), high ? 0xfa : 0x50);                      \
    RR(mul, r, Un(I::kIdPshufd, A(1), high ? 0xfa : 0x50));              \
    break;                                                               \
  }
    KILN_EXTMUL64(I64X2ExtmulLowI32X4S, false, I::kIdPmuldq)
    KILN_EXTMUL64(I64X2ExtmulHighI32X4S, true, I::kIdPmuldq)
    KILN_EXTMUL64(I64X2ExtmulLowI32X4U, false, I::kIdPmuludq)
    KILN_EXTMUL64(I64X2ExtmulHighI32X4U, true, I::kIdPmuludq)
#undef KILN_EXTMUL64

    default:
      return absl::UnimplementedError(absl::StrCat(
          "x64 lowering of ", f_.name(), ": ", wasm::OpcodeName(op_)));
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
