#include "codegen/isa/aarch64/emit.h"

// Debian's asmjit/arm.h does not pull AArch64 in on an x86 host; the a64
// emitter is in every libasmjit build, so include it directly.
#include <asmjit/arm/a64assembler.h>

#include <array>
#include <cstring>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/isa/aarch64/abi.h"
#include "codegen/isa/emit_buffer.h"
#include "codegen/isa/emit_driver.h"

namespace kiln::isa::aarch64 {
namespace {

namespace a64 = asmjit::a64;
using asmjit::Imm;
using asmjit::Label;

a64::Gp G(int hw, int size) {
  return size == 8 ? a64::Gp(a64::x(hw)) : a64::Gp(a64::w(hw));
}
a64::Vec F(int hw, int size) {
  return size == 8 ? a64::Vec(a64::d(hw)) : a64::Vec(a64::s(hw));
}
// Register `hw` viewed with arrangement `arr`.
a64::Vec VA(int hw, VecArr arr) {
  const a64::Vec v = a64::v(hw);
  switch (arr) {
    case VecArr::k16B: return v.b16();
    case VecArr::k8H: return v.h8();
    case VecArr::k4S: return v.s4();
    case VecArr::k2D: return v.d2();
    case VecArr::k8B: return v.b8();
    case VecArr::k4H: return v.h4();
    case VecArr::k2S: return v.s2();
    case VecArr::kB: return v.b();
    case VecArr::kH: return v.h();
    case VecArr::kS: return v.s();
    case VecArr::kD: return v.d();
    case VecArr::kQ: return v.q();
  }
  return v;
}
// Lane `lane` of register `hw` with element `elem` (kB .. kD).
a64::Vec Lane(int hw, VecArr elem, int lane) {
  const a64::Vec v = a64::v(hw);
  switch (elem) {
    case VecArr::kB: return v.b(lane);
    case VecArr::kH: return v.h(lane);
    case VecArr::kS: return v.s(lane);
    default: return v.d(lane);
  }
}
asmjit::InstId VecId(VecOp op) {
  switch (op) {
#define KILN_A64_VOP(name, text) \
  case VecOp::k##name:           \
    return a64::Inst::kId##name##_v;
#include "codegen/isa/aarch64/inst.def"
#undef KILN_A64_VOP
  }
  return a64::Inst::kIdNone;
}

// asmjit numbers condition codes from 2 (eq); the architecture from 0.
asmjit::arm::CondCode CC(uint8_t c) { return static_cast<asmjit::arm::CondCode>(c + 2); }

// Bounds of the wasm float -> int conversions that do not trap: the
// source must be above `lo` (or equal to it when `lo_ok`) and below `hi`.
struct ConvBounds {
  uint64_t lo, hi;
  bool lo_ok;
};
ConvBounds BoundsFor(bool is_unsigned, int int_size, int float_size) {
  const bool f32 = float_size == 4;
  if (is_unsigned) {
    const uint64_t minus_one = f32 ? 0xBF800000u : 0xBFF0000000000000ull;
    if (int_size == 4) return {minus_one, f32 ? 0x4F800000u : 0x41F0000000000000ull, false};
    return {minus_one, f32 ? 0x5F800000u : 0x43F0000000000000ull, false};
  }
  if (int_size == 4) {
    if (f32) return {0xCF000000u, 0x4F000000u, true};
    return {0xC1E0000000200000ull, 0x41E0000000000000ull, false};  // -2^31-1, 2^31
  }
  if (f32) return {0xDF000000u, 0x5F000000u, true};
  return {0xC3E0000000000000ull, 0x43E0000000000000ull, true};
}

// AArch64 encoding; the frame layout, block walk, allocator moves, branches
// with their edge moves and islands come from the generic EmitDriver.
class Emitter final : public EmitBackend {
 public:
  Emitter(const MachFunction& f, const regalloc::Output& ra, const CompileContext& ctx)
      : f_(f),
        vc_(f.vcode),
        ra_(ra),
        ctx_(ctx),
        d_(f.vcode, f.srclocs, ra, Aarch64Abi(), asmjit::Arch::kAArch64,
           f.wide_float_slots ? 16 : 8),
        buf_(d_.buf()),
        asm_(&buf_.holder()),
        a_(&asm_),
        frame_(d_.frame()) {}

  absl::StatusOr<CompiledFunction> Run() {
    buf_.Attach(a_);
    return d_.Run(*this, absl::StrCat("aarch64 emit (", f_.name, ")"));
  }

  // ---- EmitBackend (EmitPrologue, EmitInst and EmitMove below) ----
  // Slots are addressed [sp, #imm12 * 8]; larger frames would need an
  // address register the emitter does not have to spare.
  absl::Status CheckFrame(const FrameLayout& frame) override {
    if (frame.frame_size > 32760 || frame.frame_size >= (1u << 24)) {
      return absl::UnimplementedError(absl::StrCat(
          "aarch64 emit (", f_.name, "): frame of ", frame.frame_size, " bytes is too large"));
    }
    return absl::OkStatus();
  }
  void EmitJump(Label target) override { a_->b(target); }
  void EmitCondJump(uint8_t cc, Label target) override { a_->b(CC(cc), target); }
  uint8_t InvertCond(uint8_t cc) const override {
    return aarch64::InvertCond(static_cast<Cond>(cc));
  }
  void EmitTrapInst() override { a_->udf(Imm(0)); }

 private:
  // Frame (sp-relative, upwards): outgoing arguments, spill slots, saved
  // callee-saved registers.
  uint32_t SlotsBase() const { return frame_.outgoing_bytes; }
  uint32_t CsrBase() const { return frame_.outgoing_bytes + frame_.spill_bytes; }

  int64_t SlotOffset(uint32_t slot) const { return SlotsBase() + frame_.slot_bytes * slot; }
  // Slot `slot` accessed with `size` bytes (may build the offset in x17).
  a64::Mem SlotMem(uint32_t slot, int size = 8) {
    return OffsetMem(a64::sp, SlotOffset(slot), size);
  }

  // mov dst, #imm with movz / movn + movk (the fewest instructions).
  void MovImm(int hw, uint64_t v, int size) {
    a64::Assembler& a = *a_;
    const int n = size == 8 ? 4 : 2;
    if (size == 4) v &= 0xffffffffu;
    int zeros = 0, ones = 0;
    for (int k = 0; k < n; ++k) {
      const uint64_t h = (v >> (16 * k)) & 0xffff;
      zeros += h == 0;
      ones += h == 0xffff;
    }
    const a64::Gp d = G(hw, size);
    const bool inverted = ones > zeros;
    const uint64_t skip = inverted ? 0xffff : 0;
    bool first = true;
    for (int k = 0; k < n; ++k) {
      const uint64_t h = (v >> (16 * k)) & 0xffff;
      if (h == skip) continue;
      if (first) {
        if (inverted) {
          a.movn(d, Imm(~h & 0xffff), Imm(16 * k));
        } else {
          a.movz(d, Imm(h), Imm(16 * k));
        }
        first = false;
      } else {
        a.movk(d, Imm(h), Imm(16 * k));
      }
    }
    if (first) {  // all halfwords equal `skip`
      if (inverted) a.movn(d, Imm(0)); else a.movz(d, Imm(0));
    }
  }

  void LoadFloatConst(int hw, uint64_t bits, int size) {
    MovImm(kX17, bits, size);
    a_->fmov(F(hw, size), G(kX17, size));
  }

  void EmitPrologue() override {
    a64::Assembler& a = *a_;
    const uint32_t grow = vc_.incoming_args_grow;
    a.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -16));
    a.mov(a64::x29, a64::sp);
    SubSp(frame_.frame_size + grow);
    if (ctx_.stack_check) {
      a.ldr(a64::x16, OffsetMem(a64::x0, ctx_.stack_limit_offset, 8));
      if (ctx_.stack_limit_indirect) {
        a.ldr(a64::x16, OffsetMem(a64::x16, ctx_.stack_limit_field_offset, 8));
      }
      a.mov(a64::x17, a64::sp);
      a.cmp(a64::x17, a64::x16);
      a.b(CC(kCondLo), buf_.TrapLabel(abi::TrapCode::kStackOverflow));
    }
    if (grow > 0) {
      // Tail calls pass more stack arguments than our caller did: move the
      // frame record `grow` bytes down, after the stack check covered it,
      // so that the incoming area below the caller's arguments is ours
      // (popped by the epilogue).
      a.ldp(a64::x16, a64::x17, a64::ptr(a64::x29));
      SubImm(a64::x29, grow);
      a.stp(a64::x16, a64::x17, a64::ptr(a64::x29));
    }
    for (size_t k = 0; k < frame_.saved.size(); ++k) {
      a.str(a64::x(frame_.saved[k]), a64::ptr(a64::sp, CsrBase() + 8 * static_cast<int32_t>(k)));
    }
  }

  // add / sub take a 12-bit immediate, optionally shifted by 12.
  void SubImm(const a64::Gp& r, uint32_t bytes) {
    if (bytes & ~0xfffu) a_->sub(r, r, Imm(bytes & ~0xfffu));
    if (bytes & 0xfffu) a_->sub(r, r, Imm(bytes & 0xfffu));
  }
  void AddImm(const a64::Gp& r, uint32_t bytes) {
    if (bytes & ~0xfffu) a_->add(r, r, Imm(bytes & ~0xfffu));
    if (bytes & 0xfffu) a_->add(r, r, Imm(bytes & 0xfffu));
  }
  void SubSp(uint32_t bytes) { SubImm(a64::sp, bytes); }

  // Restores the callee-saved registers and the caller's frame record: sp
  // then points at the incoming stack arguments, as at entry (less the
  // prologue's growth).
  void EmitFrameTeardown() {
    a64::Assembler& a = *a_;
    for (size_t k = 0; k < frame_.saved.size(); ++k) {
      a.ldr(a64::x(frame_.saved[k]), a64::ptr(a64::sp, CsrBase() + 8 * static_cast<int32_t>(k)));
    }
    a.mov(a64::sp, a64::x29);
    a.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 16));
  }

  // The callee pops its incoming stack-argument area
  // (abi::CalleePoppedBytes, grown by the prologue for tail calls).
  void EmitEpilogue() {
    EmitFrameTeardown();
    AddImm(a64::sp, vc_.incoming_args_size);
    a_->ret(a64::x30);
  }

  // After the teardown of a tail call to a callee that pops `popped`
  // bytes: its stack arguments are at the top of our incoming area; sp
  // goes to them (x30 is our caller's return address already).
  void EmitTailCallShift(int32_t popped) {
    AddImm(a64::sp, vc_.incoming_args_size - static_cast<uint32_t>(popped));
  }

  // A wasm callee popped its stack arguments: restore the outgoing area.
  void EmitAfterCall(const Inst& inst) {
    if (inst.mem.disp > 0) SubSp(static_cast<uint32_t>(inst.mem.disp));
  }

  // `word` (bl or b with a zero offset) to a known callee (sub: RelocKind,
  // imm: index); the compiler's linker fills imm26.
  void EmitBranchToCallee(uint32_t word, const Inst& inst) {
    EmitWord(word);
    buf_.AddRelocation(RelocEncoding::kAarch64Call26,
                       inst.sub == static_cast<uint8_t>(RelocKind::kBuiltin)
                           ? RelocTarget::kBuiltin
                           : RelocTarget::kWasmFunction,
                       static_cast<uint32_t>(inst.imm),
                       static_cast<uint32_t>(a_->offset() - 4), /*addend=*/0);
  }

  // [base + disp] for an access of `size` bytes: the scaled unsigned or
  // the unscaled signed immediate form, else the offset built in x17.
  a64::Mem OffsetMem(const a64::Gp& base, int64_t disp, int size) {
    if (disp >= 0 && disp % size == 0 && disp / size < 4096) {
      return a64::ptr(base, static_cast<int32_t>(disp));
    }
    if (disp >= -256 && disp < 256) return a64::ptr(base, static_cast<int32_t>(disp));
    MovImm(kX17, static_cast<uint64_t>(disp), 8);
    return a64::ptr(base, a64::x17);
  }

  // With v128 values in the function (16-byte slots) every float-class
  // move copies all 128 bits: the allocator does not know which values are
  // scalars.
  void EmitMove(const regalloc::Move& m) override {
    a64::Assembler& a = *a_;
    const bool fl = m.cls == RegClass::kFloat;
    const bool wide = fl && frame_.slot_bytes == 16;
    if (m.from.is_reg() && m.to.is_reg()) {
      if (m.from == m.to) return;
      if (wide) {
        a.mov(a64::v(m.to.reg().hw()).b16(), a64::v(m.from.reg().hw()).b16());
      } else if (fl) {
        a.fmov(a64::d(m.to.reg().hw()), a64::d(m.from.reg().hw()));
      } else {
        a.mov(a64::x(m.to.reg().hw()), a64::x(m.from.reg().hw()));
      }
    } else if (m.from.is_stack() && m.to.is_reg()) {
      if (wide) {
        a.ldr(a64::v(m.to.reg().hw()).q(), SlotMem(m.from.slot(), 16));
      } else if (fl) {
        a.ldr(a64::d(m.to.reg().hw()), SlotMem(m.from.slot()));
      } else {
        a.ldr(a64::x(m.to.reg().hw()), SlotMem(m.from.slot()));
      }
    } else if (m.from.is_reg() && m.to.is_stack()) {
      if (wide) {
        a.str(a64::v(m.from.reg().hw()).q(), SlotMem(m.to.slot(), 16));
      } else if (fl) {
        a.str(a64::d(m.from.reg().hw()), SlotMem(m.to.slot()));
      } else {
        a.str(a64::x(m.from.reg().hw()), SlotMem(m.to.slot()));
      }
    } else if (m.from.is_stack() && m.to.is_stack()) {
      if (m.from == m.to) return;
      // x17 carries 8 bytes at a time (offsets stay in the ldr/str forms).
      for (int64_t half = 0; half < (wide ? 16 : 8); half += 8) {
        a.ldr(a64::x17, a64::ptr(a64::sp, static_cast<int32_t>(SlotOffset(m.from.slot()) + half)));
        a.str(a64::x17, a64::ptr(a64::sp, static_cast<int32_t>(SlotOffset(m.to.slot()) + half)));
      }
    }
  }

  isa::Allocation Al(uint32_t i, int slot) const {
    return ra_.allocs[vc_.inst(i).op_begin + slot];
  }
  int R(uint32_t i, int slot) const { return Al(i, slot).reg().hw(); }
  a64::Gp X(uint32_t i, int slot, int size) const { return G(R(i, slot), size); }
  a64::Vec V(uint32_t i, int slot, int size) const { return F(R(i, slot), size); }

  // The memory operand of instruction i (may emit an address computation
  // into x17 first: call it before recording the trap site).
  a64::Mem M(uint32_t i, const Inst& inst, int size) {
    a64::Gp base;
    switch (inst.mem.base) {
      case kBaseSp: base = a64::sp; break;
      case kBaseFp: base = a64::x29; break;
      default: base = a64::x(R(i, inst.mem.base)); break;
    }
    if (inst.mem.index < 0) return OffsetMem(base, inst.mem.disp, size);
    a64::Gp index = a64::x(R(i, inst.mem.index));
    if (inst.mem.disp == 0) return a64::ptr(base, index);
    if (inst.mem.disp > 0 && inst.mem.disp < 4096) {
      a_->add(a64::x17, index, Imm(inst.mem.disp));
    } else {
      MovImm(kX17, static_cast<uint64_t>(inst.mem.disp), 8);
      a_->add(a64::x17, a64::x17, index);
    }
    return a64::ptr(base, a64::x17);
  }

  void MaybeTrap(const Inst& inst) {
    if (inst.trap != kNoTrap) buf_.AddTrapSite(static_cast<abi::TrapCode>(inst.trap));
  }

  void EmitLoad(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const auto k = static_cast<LoadKind>(inst.sub);
    const int access = k == LoadKind::kV128                       ? 16
                       : k == LoadKind::kI64 || k == LoadKind::kF64 ? 8
                       : k == LoadKind::kI32 || k == LoadKind::kF32 || k == LoadKind::kS32x64 ? 4
                       : k == LoadKind::kU8 || k == LoadKind::kS8x32 || k == LoadKind::kS8x64 ? 1
                                                                                              : 2;
    a64::Mem m = M(i, inst, access);
    MaybeTrap(inst);
    switch (k) {
      case LoadKind::kI32: a.ldr(X(i, 0, 4), m); break;
      case LoadKind::kI64: a.ldr(X(i, 0, 8), m); break;
      case LoadKind::kU8: a.ldrb(X(i, 0, 4), m); break;
      case LoadKind::kS8x32: a.ldrsb(X(i, 0, 4), m); break;
      case LoadKind::kS8x64: a.ldrsb(X(i, 0, 8), m); break;
      case LoadKind::kU16: a.ldrh(X(i, 0, 4), m); break;
      case LoadKind::kS16x32: a.ldrsh(X(i, 0, 4), m); break;
      case LoadKind::kS16x64: a.ldrsh(X(i, 0, 8), m); break;
      case LoadKind::kS32x64: a.ldrsw(X(i, 0, 8), m); break;
      case LoadKind::kF32: a.ldr(V(i, 0, 4), m); break;
      case LoadKind::kF64: a.ldr(V(i, 0, 8), m); break;
      case LoadKind::kV128: a.ldr(a64::v(R(i, 0)).q(), m); break;
    }
  }

  void EmitStore(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const auto k = static_cast<StoreKind>(inst.sub);
    const int access = k == StoreKind::kI8 ? 1 : k == StoreKind::kI16 ? 2
                       : k == StoreKind::kI32 || k == StoreKind::kF32 ? 4
                       : k == StoreKind::kV128 ? 16 : 8;
    a64::Mem m = M(i, inst, access);
    MaybeTrap(inst);
    switch (k) {
      case StoreKind::kI8: a.strb(X(i, 0, 4), m); break;
      case StoreKind::kI16: a.strh(X(i, 0, 4), m); break;
      case StoreKind::kI32: a.str(X(i, 0, 4), m); break;
      case StoreKind::kI64: a.str(X(i, 0, 8), m); break;
      case StoreKind::kF32: a.str(V(i, 0, 4), m); break;
      case StoreKind::kF64: a.str(V(i, 0, 8), m); break;
      case StoreKind::kV128: a.str(a64::v(R(i, 0)).q(), m); break;
    }
  }

  void EmitAluRRI(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int sz = inst.size;
    const a64::Gp s = X(i, 0, sz), d = X(i, 1, sz);
    int64_t imm = inst.imm;
    switch (static_cast<AluOp>(inst.sub)) {
      case AluOp::kAdd:
        if (imm < 0) a.sub(d, s, Imm(-imm)); else a.add(d, s, Imm(imm));
        break;
      case AluOp::kSub:
        if (imm < 0) a.add(d, s, Imm(-imm)); else a.sub(d, s, Imm(imm));
        break;
      case AluOp::kAnd: a.and_(d, s, Imm(imm)); break;  // a logical immediate (2^n - 1)
      case AluOp::kLsl: a.lsl(d, s, Imm(imm)); break;
      case AluOp::kLsr: a.lsr(d, s, Imm(imm)); break;
      case AluOp::kAsr: a.asr(d, s, Imm(imm)); break;
      case AluOp::kRor: a.ror(d, s, Imm(imm)); break;
      default: break;  // the lowering only folds the kinds above
    }
  }

  void EmitAluRRR(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int sz = inst.size;
    const a64::Gp l = X(i, 0, sz), r = X(i, 1, sz), d = X(i, 2, sz);
    switch (static_cast<AluOp>(inst.sub)) {
      case AluOp::kAdd: a.add(d, l, r); break;
      case AluOp::kSub: a.sub(d, l, r); break;
      case AluOp::kAnd: a.and_(d, l, r); break;
      case AluOp::kOrr: a.orr(d, l, r); break;
      case AluOp::kEor: a.eor(d, l, r); break;
      case AluOp::kMul: a.mul(d, l, r); break;
      case AluOp::kLsl: a.lsl(d, l, r); break;
      case AluOp::kLsr: a.lsr(d, l, r); break;
      case AluOp::kAsr: a.asr(d, l, r); break;
      case AluOp::kRor: a.ror(d, l, r); break;
    }
  }

  void EmitUnary(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int sz = inst.size;
    switch (static_cast<UnaryOp>(inst.sub)) {
      case UnaryOp::kNeg: a.neg(X(i, 1, sz), X(i, 0, sz)); break;
      case UnaryOp::kMvn: a.mvn(X(i, 1, sz), X(i, 0, sz)); break;
      case UnaryOp::kClz: a.clz(X(i, 1, sz), X(i, 0, sz)); break;
      case UnaryOp::kCtz:
        a.rbit(X(i, 1, sz), X(i, 0, sz));
        a.clz(X(i, 1, sz), X(i, 1, sz));
        break;
      case UnaryOp::kSxtb: a.sxtb(X(i, 1, sz), X(i, 0, 4)); break;
      case UnaryOp::kSxth: a.sxth(X(i, 1, sz), X(i, 0, 4)); break;
      case UnaryOp::kSxtw: a.sxtw(X(i, 1, 8), X(i, 0, 4)); break;
      case UnaryOp::kUxtw: a.mov(X(i, 1, 4), X(i, 0, 4)); break;
    }
  }

  void EmitDiv(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int sz = inst.size;
    const auto kind = static_cast<DivKind>(inst.sub);
    const a64::Gp n = X(i, 0, sz), dv = X(i, 1, sz), dst = X(i, 2, sz), t = X(i, 3, sz);
    if (inst.imm & 2) a.cbz(dv, buf_.TrapLabel(abi::TrapCode::kIntegerDivisionByZero));
    if (inst.imm & 1) {
      // INT_MIN / -1 overflows (AArch64 would return INT_MIN).
      Label ok = a.newLabel();
      a.cmn(dv, Imm(1));
      a.b(CC(kCondNe), ok);
      MovImm(kX17, sz == 8 ? 0x8000000000000000ull : 0x80000000u, sz);
      a.cmp(n, G(kX17, sz));
      a.b(CC(kCondEq), buf_.TrapLabel(abi::TrapCode::kIntegerOverflow));
      a.bind(ok);
    }
    switch (kind) {
      case DivKind::kUdiv: a.udiv(dst, n, dv); break;
      case DivKind::kSdiv: a.sdiv(dst, n, dv); break;
      case DivKind::kUrem:
        a.udiv(t, n, dv);
        a.msub(dst, t, dv, n);
        break;
      case DivKind::kSrem:
        a.sdiv(t, n, dv);
        a.msub(dst, t, dv, n);
        break;
    }
  }

  void EmitFloatToInt(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int isz = inst.size;
    const int fsz = static_cast<int>(inst.imm);
    const auto kind = static_cast<FloatToIntKind>(inst.sub);
    const a64::Vec src = V(i, 0, fsz);
    const a64::Gp dst = X(i, 1, isz);
    const bool is_unsigned =
        kind == FloatToIntKind::kUnsigned || kind == FloatToIntKind::kUnsignedSat;
    if (kind == FloatToIntKind::kSigned || kind == FloatToIntKind::kUnsigned) {
      const int t = R(i, 2);
      const ConvBounds b = BoundsFor(is_unsigned, isz, fsz);
      a.fcmp(src, src);
      a.b(CC(kCondVs), buf_.TrapLabel(abi::TrapCode::kBadConversionToInteger));
      LoadFloatConst(t, b.lo, fsz);
      a.fcmp(src, F(t, fsz));
      a.b(CC(b.lo_ok ? kCondLt : kCondLe), buf_.TrapLabel(abi::TrapCode::kIntegerOverflow));
      LoadFloatConst(t, b.hi, fsz);
      a.fcmp(src, F(t, fsz));
      a.b(CC(kCondGe), buf_.TrapLabel(abi::TrapCode::kIntegerOverflow));
    }
    // fcvtz* round toward zero, saturate and give 0 for NaN: exactly the
    // saturating wasm conversions.
    if (is_unsigned) a.fcvtzu(dst, src); else a.fcvtzs(dst, src);
  }

  // ---- Threads (inst.def: AtomicLoad .. Fence) ----
  // t = the heap address of instruction i's memory operand.
  void AtomicAddr(const a64::Gp& t, uint32_t i, const Inst& inst) {
    const a64::Gp base = a64::x(R(i, inst.mem.base));
    if (inst.mem.index >= 0) {
      a_->add(t, base, a64::x(R(i, inst.mem.index)));
    } else {
      a_->mov(t, base);
    }
    const int64_t disp = inst.mem.disp;
    if (disp > 0 && disp < 4096) {
      a_->add(t, t, Imm(disp));
    } else if (disp != 0) {
      MovImm(kX17, static_cast<uint64_t>(disp), 8);
      a_->add(t, t, a64::x17);
    }
  }

  // The acquire / release and exclusive accesses, encoded here: asmjit's
  // stlr() helpers emit stllr (LORelease) and its validation refuses
  // stlxr with a w status and an x value. `size_log2` is the access size
  // (0 = byte .. 3 = doubleword), Rn the address register.
  void EmitWord(uint32_t word) {
    const uint8_t bytes[4] = {static_cast<uint8_t>(word), static_cast<uint8_t>(word >> 8),
                              static_cast<uint8_t>(word >> 16),
                              static_cast<uint8_t>(word >> 24)};
    a_->embed(bytes, 4);
  }
  static uint32_t SizeLog2(int bytes) { return bytes == 1 ? 0 : bytes == 2 ? 1 : bytes == 4 ? 2 : 3; }
  void Ldar(int bytes, const a64::Gp& rt, const a64::Gp& rn) {  // ldar{b,h} rt, [rn]
    EmitWord(0x08DFFC00u | SizeLog2(bytes) << 30 | rn.id() << 5 | rt.id());
  }
  void Stlr(int bytes, const a64::Gp& rt, const a64::Gp& rn) {  // stlr{b,h} rt, [rn]
    EmitWord(0x089FFC00u | SizeLog2(bytes) << 30 | rn.id() << 5 | rt.id());
  }
  void Ldaxr(int bytes, const a64::Gp& rt, const a64::Gp& rn) {  // ldaxr{b,h} rt, [rn]
    EmitWord(0x085FFC00u | SizeLog2(bytes) << 30 | rn.id() << 5 | rt.id());
  }
  // stlxr{b,h} rs, rt, [rn] (rs: 0 when the store succeeded).
  void Stlxr(int bytes, const a64::Gp& rs, const a64::Gp& rt, const a64::Gp& rn) {
    EmitWord(0x0800FC00u | SizeLog2(bytes) << 30 | rs.id() << 16 | rn.id() << 5 | rt.id());
  }

  void EmitAtomicRmw(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int rs = inst.size == 8 ? 8 : 4;
    const a64::Gp src = X(i, 0, rs), old = X(i, 1, rs), nw = X(i, 2, rs);
    const a64::Gp status = X(i, 3, 4), addr = X(i, 4, 8);
    AtomicAddr(addr, i, inst);
    Label loop = a.newLabel();
    a.bind(loop);
    MaybeTrap(inst);
    Ldaxr(inst.size, old, addr);
    a64::Gp data = nw;
    switch (static_cast<AtomicOp>(inst.sub)) {
      case AtomicOp::kAdd: a.add(nw, old, src); break;
      case AtomicOp::kSub: a.sub(nw, old, src); break;
      case AtomicOp::kAnd: a.and_(nw, old, src); break;
      case AtomicOp::kOrr: a.orr(nw, old, src); break;
      case AtomicOp::kEor: a.eor(nw, old, src); break;
      case AtomicOp::kXchg: data = src; break;
    }
    MaybeTrap(inst);
    Stlxr(inst.size, status, data, addr);
    a.cbnz(status, loop);
  }

  void EmitAtomicCas(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const int rs = inst.size == 8 ? 8 : 4;
    const a64::Gp expected = X(i, 0, rs), repl = X(i, 1, rs), old = X(i, 2, rs);
    const a64::Gp want = X(i, 3, rs), status = X(i, 4, 4), addr = X(i, 5, 8);
    AtomicAddr(addr, i, inst);
    // Only the accessed bytes of `expected` take part in the comparison.
    switch (inst.size) {
      case 1: a.uxtb(want, expected); break;
      case 2: a.uxth(want, expected); break;
      case 4: a.mov(want, expected); break;  // w: clears the upper half
      default: a.mov(want, expected); break;
    }
    Label loop = a.newLabel(), done = a.newLabel();
    a.bind(loop);
    MaybeTrap(inst);
    Ldaxr(inst.size, old, addr);
    a.cmp(old, want);
    a.b(CC(kCondNe), done);
    MaybeTrap(inst);
    Stlxr(inst.size, status, repl, addr);
    a.cbnz(status, loop);
    a.bind(done);
  }

  void EmitInst(uint32_t i) override {
    a64::Assembler& a = *a_;
    const Inst& inst = f_.insts[i];
    const int sz = inst.size;
    switch (inst.op) {
      case Op::kArgs:
        break;
      case Op::kMovRR:
        if (Al(i, 0) != Al(i, 1)) a.mov(X(i, 1, 8), X(i, 0, 8));
        break;
      case Op::kMovImm:
        MovImm(R(i, 0), static_cast<uint64_t>(inst.imm), sz);
        break;
      case Op::kLoad:
        EmitLoad(i, inst);
        break;
      case Op::kStore:
        EmitStore(i, inst);
        break;
      case Op::kSpAddr:
        a.add(X(i, 0, 8), a64::sp, Imm(inst.imm));
        break;
      case Op::kAluRRR:
        EmitAluRRR(i, inst);
        break;
      case Op::kAluRRI:
        EmitAluRRI(i, inst);
        break;
      case Op::kUnary:
        EmitUnary(i, inst);
        break;
      case Op::kPopcnt: {
        const a64::Vec t = a64::v(R(i, 2));
        a.fmov(F(t.id(), sz), X(i, 0, sz));
        a.cnt(t.b8(), t.b8());
        a.addv(t.b(), t.b8());
        a.fmov(X(i, 1, 4), F(t.id(), 4));
        break;
      }
      case Op::kDiv:
        EmitDiv(i, inst);
        break;
      case Op::kCmpRR:
        a.cmp(X(i, 0, sz), X(i, 1, sz));
        break;
      case Op::kCmpRI:
        if (inst.imm < 0) a.cmn(X(i, 0, sz), Imm(-inst.imm)); else a.cmp(X(i, 0, sz), Imm(inst.imm));
        break;
      case Op::kCset:
        a.cset(X(i, 0, 4), Imm(static_cast<uint32_t>(CC(inst.cc))));
        break;
      case Op::kCsel:
        a.csel(X(i, 2, sz), X(i, 0, sz), X(i, 1, sz), Imm(static_cast<uint32_t>(CC(inst.cc))));
        break;
      case Op::kFCsel:
        a.fcsel(V(i, 2, sz), V(i, 0, sz), V(i, 1, sz), Imm(static_cast<uint32_t>(CC(inst.cc))));
        break;
      case Op::kJmp:
        d_.EmitJumpTerminator();
        break;
      case Op::kBcond:
        d_.EmitCondBranch(inst.cc);
        break;
      case Op::kBrTable: {
        const uint32_t n = static_cast<uint32_t>(vc_.succs(d_.cur_block()).size()) - 1;
        const a64::Gp idx = X(i, 0, 4), t1 = X(i, 1, 8), t2 = X(i, 2, 8);
        if (n < 4096) {
          a.cmp(idx, Imm(n));
        } else {
          MovImm(kX17, n, 4);
          a.cmp(idx, a64::w17);
        }
        a.b(CC(kCondHs), d_.EdgeTarget(0));
        Label table = a.newLabel();
        a.adr(t1, table);
        a.lsl(t2, X(i, 0, 8), Imm(2));
        a.add(t2, t1, t2);
        a.ldrsw(t2, a64::ptr(t2));
        a.add(t1, t1, t2);
        a.br(t1);
        std::vector<Label> targets;
        for (uint32_t k = 1; k <= n; ++k) targets.push_back(d_.EdgeTarget(k));
        buf_.AddLateData([this, table, targets] {
          a_->align(asmjit::AlignMode::kData, 4);
          a_->bind(table);
          for (const Label& t : targets) a_->embedLabelDelta(t, table, 4);
        });
        break;
      }
      case Op::kRet:
        EmitEpilogue();
        break;
      case Op::kTrap:
        buf_.AddTrapSite(static_cast<abi::TrapCode>(inst.imm));
        a.udf(Imm(0));
        break;
      case Op::kTrapIf:
        a.b(CC(inst.cc), buf_.TrapLabel(static_cast<abi::TrapCode>(inst.imm)));
        break;
      case Op::kCallKnown:
        EmitBranchToCallee(0x94000000u, inst);  // bl
        EmitAfterCall(inst);
        break;
      case Op::kCallInd:
        a.blr(X(i, 0, 8));
        EmitAfterCall(inst);
        break;
      case Op::kReturnCallKnown:
        EmitFrameTeardown();
        EmitTailCallShift(inst.mem.disp);
        EmitBranchToCallee(0x14000000u, inst);  // b
        break;
      case Op::kReturnCallInd:
        // The target may sit in a callee-saved register the teardown
        // restores; x17 is neither allocatable nor an argument register.
        if (R(i, 0) != kX17) a.mov(a64::x17, X(i, 0, 8));
        EmitFrameTeardown();
        EmitTailCallShift(inst.mem.disp);
        a.br(a64::x17);
        break;
      case Op::kFMov:
        if (Al(i, 0) != Al(i, 1)) a.fmov(V(i, 1, 8), V(i, 0, 8));
        break;
      case Op::kFRRR: {
        const a64::Vec l = V(i, 0, sz), r = V(i, 1, sz), d = V(i, 2, sz);
        switch (static_cast<FBinOp>(inst.sub)) {
          case FBinOp::kAdd: a.fadd(d, l, r); break;
          case FBinOp::kSub: a.fsub(d, l, r); break;
          case FBinOp::kMul: a.fmul(d, l, r); break;
          case FBinOp::kDiv: a.fdiv(d, l, r); break;
          case FBinOp::kMin: a.fmin(d, l, r); break;
          case FBinOp::kMax: a.fmax(d, l, r); break;
        }
        break;
      }
      case Op::kFRR: {
        const a64::Vec s = V(i, 0, sz), d = V(i, 1, sz);
        switch (static_cast<FUnOp>(inst.sub)) {
          case FUnOp::kAbs: a.fabs(d, s); break;
          case FUnOp::kNeg: a.fneg(d, s); break;
          case FUnOp::kSqrt: a.fsqrt(d, s); break;
          case FUnOp::kCeil: a.frintp(d, s); break;
          case FUnOp::kFloor: a.frintm(d, s); break;
          case FUnOp::kTrunc: a.frintz(d, s); break;
          case FUnOp::kNearest: a.frintn(d, s); break;
        }
        break;
      }
      case Op::kFCmp:
        a.fcmp(V(i, 0, sz), V(i, 1, sz));
        break;
      case Op::kFConst:
        LoadFloatConst(R(i, 0), static_cast<uint64_t>(inst.imm), sz);
        break;
      case Op::kIntToFloat: {
        const a64::Gp s = X(i, 0, static_cast<int>(inst.imm));
        if (inst.sub) a.ucvtf(V(i, 1, sz), s); else a.scvtf(V(i, 1, sz), s);
        break;
      }
      case Op::kFloatToFloat:
        a.fcvt(V(i, 1, sz), V(i, 0, sz == 8 ? 4 : 8));
        break;
      case Op::kFloatToInt:
        EmitFloatToInt(i, inst);
        break;
      case Op::kMovToFpr:
        a.fmov(V(i, 1, sz), X(i, 0, sz));
        break;
      case Op::kMovFromFpr:
        a.fmov(X(i, 1, sz), V(i, 0, sz));
        break;
      case Op::kCopysign: {
        const a64::Gp t1 = X(i, 3, sz), t2 = X(i, 4, sz);
        const int top = 8 * sz - 1;
        a.fmov(t1, V(i, 0, sz));
        a.fmov(t2, V(i, 1, sz));
        a.lsr(t2, t2, Imm(top));
        a.bfi(t1, t2, Imm(top), Imm(1));
        a.fmov(V(i, 2, sz), t1);
        break;
      }
      case Op::kAtomicLoad: {
        const a64::Gp addr = X(i, 1, 8);
        AtomicAddr(addr, i, inst);
        MaybeTrap(inst);
        Ldar(sz, X(i, 0, sz == 8 ? 8 : 4), addr);
        break;
      }
      case Op::kAtomicStore: {
        const a64::Gp addr = X(i, 1, 8);
        AtomicAddr(addr, i, inst);
        MaybeTrap(inst);
        Stlr(sz, X(i, 0, sz == 8 ? 8 : 4), addr);
        break;
      }
      case Op::kAtomicRmw:
        EmitAtomicRmw(i, inst);
        break;
      case Op::kAtomicCas:
        EmitAtomicCas(i, inst);
        break;
      case Op::kFence:
        a.dmb(Imm(0xB));  // ish
        break;
      case Op::kVConst:
        EmitVConst(i, inst);
        break;
      case Op::kVMov:
        if (Al(i, 0) != Al(i, 1)) a.mov(a64::v(R(i, 1)).b16(), a64::v(R(i, 0)).b16());
        break;
      case Op::kVecRRR: case Op::kVecRR: case Op::kVecRRRMod: case Op::kVecRRMod:
        EmitVec(i, inst);
        break;
      case Op::kVecDup: case Op::kVecDupLane: case Op::kVecInsGpr: case Op::kVecInsLane:
      case Op::kVecExtract:
        EmitVecLanes(i, inst);
        break;
      case Op::kVSelect: {
        const a64::Vec d = a64::v(R(i, 2));
        a.csetm(a64::x17, Imm(static_cast<uint32_t>(CC(inst.cc))));
        a.dup(d.d2(), a64::x17);
        a.bsl(d.b16(), a64::v(R(i, 0)).b16(), a64::v(R(i, 1)).b16());
        break;
      }
    }
  }

  // ---- NEON ----
  a64::Vec VR(uint32_t i, int slot, uint8_t arr) const {
    return VA(R(i, slot), static_cast<VecArr>(arr & ~kVecHasImm));
  }

  // 0 and all-ones are movi; other constants are loaded from the
  // function's literal pool (one 16-byte entry per distinct value).
  void EmitVConst(uint32_t i, const Inst& inst) {
    const std::array<uint64_t, 2> c = f_.vconsts[static_cast<size_t>(inst.imm)];
    const a64::Vec d = a64::v(R(i, 0));
    if (c[0] == c[1] && (c[0] == 0 || c[0] == ~uint64_t{0})) {
      a_->movi(d.d2(), Imm(c[0]));
      return;
    }
    Label l;
    for (const auto& [val, label] : literals_) {
      if (val == c) l = label;
    }
    if (!l.isValid()) {
      l = a_->newLabel();
      literals_.push_back({c, l});
      buf_.AddLateData([this, c, l] {
        a_->align(asmjit::AlignMode::kData, 16);
        a_->bind(l);
        a_->embed(c.data(), 16);
      });
    }
    a_->ldr(d.q(), a64::ptr(l));
  }

  void EmitVec(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const asmjit::InstId id = VecId(static_cast<VecOp>(inst.sub));
    switch (inst.op) {
      case Op::kVecRRR:
        a.emit(id, VR(i, 2, inst.size), VR(i, 0, inst.cc), VR(i, 1, inst.cc));
        break;
      case Op::kVecRRRMod:  // tbx dst, {r0}, r1; bsl dst, r0, r1; umlal ...
        a.emit(id, VR(i, 2, inst.size), VR(i, 0, inst.cc), VR(i, 1, inst.cc));
        break;
      case Op::kVecRR: case Op::kVecRRMod:  // the same operands; Mod only for the allocator
        if (inst.cc & kVecHasImm) {
          a.emit(id, VR(i, 1, inst.size), VR(i, 0, inst.cc), Imm(inst.imm));
        } else {
          a.emit(id, VR(i, 1, inst.size), VR(i, 0, inst.cc));
        }
        break;
      default:
        break;
    }
  }

  void EmitVecLanes(uint32_t i, const Inst& inst) {
    a64::Assembler& a = *a_;
    const auto elem = static_cast<VecArr>(inst.cc);
    const int lane = static_cast<int>(inst.imm);
    const int gsize = elem == VecArr::kD ? 8 : 4;
    switch (inst.op) {
      case Op::kVecDup:
        a.dup(VR(i, 1, inst.size), X(i, 0, inst.size == static_cast<uint8_t>(VecArr::k2D) ? 8 : 4));
        break;
      case Op::kVecDupLane:
        a.dup(VR(i, 1, inst.size), Lane(R(i, 0), elem, lane));
        break;
      case Op::kVecInsGpr:
        a.ins(Lane(R(i, 1), elem, lane), X(i, 0, gsize));
        break;
      case Op::kVecInsLane:
        a.ins(Lane(R(i, 1), elem, lane), Lane(R(i, 0), elem, 0));
        break;
      case Op::kVecExtract:
        a.umov(X(i, 1, gsize), Lane(R(i, 0), elem, lane));
        break;
      default:
        break;
    }
  }

  const MachFunction& f_;
  const VCode& vc_;
  const regalloc::Output& ra_;
  const CompileContext& ctx_;
  EmitDriver d_;
  EmitBuffer& buf_;
  a64::Assembler asm_;
  a64::Assembler* a_;
  const FrameLayout& frame_;
  std::vector<std::pair<std::array<uint64_t, 2>, Label>> literals_;
};

}  // namespace

absl::StatusOr<CompiledFunction> Emit(const MachFunction& f, const regalloc::Output& ra,
                                      const CompileContext& ctx) {
  Emitter e(f, ra, ctx);
  return e.Run();
}

absl::StatusOr<CompiledFunction> AllocateAndEmit(const MachFunction& f,
                                                 const CompileContext& ctx) {
  absl::StatusOr<regalloc::Output> ra = AllocateRegisters(f.vcode, f.name, Aarch64Abi(), ctx);
  if (!ra.ok()) return ra.status();
  return Emit(f, *ra, ctx);
}

}  // namespace kiln::isa::aarch64
