#include "codegen/isa/x64/emit.h"

#include <asmjit/x86.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/isa/emit_buffer.h"
#include "codegen/isa/emit_driver.h"
#include "codegen/isa/x64/abi.h"

namespace kiln::isa::x64 {
namespace {

namespace ax = asmjit::x86;
using asmjit::Imm;
using asmjit::Label;
using InstId = ax::Inst::Id;

ax::Gp GpOf(int hw, int size) {
  switch (size) {
    case 1: return ax::gpb(hw);
    case 2: return ax::gpw(hw);
    case 4: return ax::gpd(hw);
    default: return ax::gpq(hw);
  }
}

InstId AluId(AluOp op) {
  switch (op) {
    case AluOp::kAdd: return ax::Inst::kIdAdd;
    case AluOp::kSub: return ax::Inst::kIdSub;
    case AluOp::kAnd: return ax::Inst::kIdAnd;
    case AluOp::kOr: return ax::Inst::kIdOr;
    case AluOp::kXor: return ax::Inst::kIdXor;
    case AluOp::kImul: return ax::Inst::kIdImul;
    case AluOp::kAdc: return ax::Inst::kIdAdc;
    case AluOp::kSbb: return ax::Inst::kIdSbb;
  }
  return ax::Inst::kIdNone;
}

InstId ShiftId(ShiftOp op) {
  switch (op) {
    case ShiftOp::kShl: return ax::Inst::kIdShl;
    case ShiftOp::kShr: return ax::Inst::kIdShr;
    case ShiftOp::kSar: return ax::Inst::kIdSar;
    case ShiftOp::kRol: return ax::Inst::kIdRol;
    case ShiftOp::kRor: return ax::Inst::kIdRor;
  }
  return ax::Inst::kIdNone;
}

InstId SseId(SseOp op, int size) {
  const bool d = size == 8;
  switch (op) {
    case SseOp::kAdd: return d ? ax::Inst::kIdAddsd : ax::Inst::kIdAddss;
    case SseOp::kSub: return d ? ax::Inst::kIdSubsd : ax::Inst::kIdSubss;
    case SseOp::kMul: return d ? ax::Inst::kIdMulsd : ax::Inst::kIdMulss;
    case SseOp::kDiv: return d ? ax::Inst::kIdDivsd : ax::Inst::kIdDivss;
    case SseOp::kMin: return d ? ax::Inst::kIdMinsd : ax::Inst::kIdMinss;
    case SseOp::kMax: return d ? ax::Inst::kIdMaxsd : ax::Inst::kIdMaxss;
    case SseOp::kAnd: return d ? ax::Inst::kIdAndpd : ax::Inst::kIdAndps;
    case SseOp::kAndn: return d ? ax::Inst::kIdAndnpd : ax::Inst::kIdAndnps;
    case SseOp::kOr: return d ? ax::Inst::kIdOrpd : ax::Inst::kIdOrps;
    case SseOp::kXor: return d ? ax::Inst::kIdXorpd : ax::Inst::kIdXorps;
  }
  return ax::Inst::kIdNone;
}

ax::CondCode CC(uint8_t c) { return static_cast<ax::CondCode>(c & 15); }

// x64 encoding; the frame layout, block walk, allocator moves, branches
// with their edge moves and islands come from the generic EmitDriver.
class Emitter final : public EmitBackend {
 public:
  Emitter(const MachFunction& f, const regalloc::Output& ra, const CompileContext& ctx)
      : f_(f),
        vc_(f.vcode),
        ra_(ra),
        ctx_(ctx),
        d_(f.vcode, f.srclocs, ra, X64Abi(), asmjit::Arch::kX64,
           f.wide_float_slots ? 16 : 8),
        buf_(d_.buf()),
        asm_(&buf_.holder()),
        a_(&asm_),
        frame_(d_.frame()) {}

  absl::StatusOr<CompiledFunction> Run() {
    buf_.Attach(a_);
    return d_.Run(*this, absl::StrCat("x64 emit (", f_.name, ")"));
  }

  // ---- EmitBackend (EmitPrologue, EmitInst and EmitMove below) ----
  void EmitJump(Label target) override { a_->jmp(target); }
  void EmitCondJump(uint8_t cc, Label target) override { EmitJcc(cc, target); }
  uint8_t InvertCond(uint8_t cc) const override {
    return x64::InvertCond(static_cast<Cond>(cc));
  }
  // The float equalities test two flags: inverting saves no jump.
  bool CanInvertToFallThrough(uint8_t cc) const override {
    return cc != kCondFEq && cc != kCondFNe;
  }
  void EmitTrapInst() override { a_->ud2(); }
  bool IsPlainCompare(uint32_t i) const override {
    const Op op = f_.insts[i].op;
    return op == Op::kCmpRR || op == Op::kCmpRI;
  }
  void StartBlock() override { flags_ = FlagsState(); }

 private:
  int32_t SlotOffset(uint32_t slot) const {
    return -static_cast<int32_t>(frame_.csr_bytes + frame_.slot_bytes * (slot + 1));
  }
  ax::Mem SlotMem16(uint32_t slot) const { return ax::xmmword_ptr(ax::rbp, SlotOffset(slot)); }
  ax::Mem SlotMem(uint32_t slot) const { return ax::qword_ptr(ax::rbp, SlotOffset(slot)); }

  void EmitPrologue() override {
    ax::Assembler& a = *a_;
    const int32_t grow = static_cast<int32_t>(vc_.incoming_args_grow);
    a.push(ax::rbp);
    a.mov(ax::rbp, ax::rsp);
    if (frame_.frame_size + grow > 0) a.sub(ax::rsp, frame_.frame_size + grow);
    if (ctx_.stack_check) {
      if (ctx_.stack_limit_indirect) {
        a.mov(ax::r11, ax::qword_ptr(ax::rdi, ctx_.stack_limit_offset));
        a.cmp(ax::rsp, ax::qword_ptr(ax::r11, ctx_.stack_limit_field_offset));
      } else {
        a.cmp(ax::rsp, ax::qword_ptr(ax::rdi, ctx_.stack_limit_offset));
      }
      a.jb(TrapLabel(abi::TrapCode::kStackOverflow));
    }
    if (grow > 0) {
      // Tail calls pass more stack arguments than our caller did: move the
      // frame record (saved rbp, return address) `grow` bytes down, after
      // the stack check covered it, so that the incoming area below the
      // caller's arguments is ours (popped by `ret`, see EmitEpilogue).
      a.mov(ax::r11, ax::qword_ptr(ax::rbp));
      a.mov(ax::qword_ptr(ax::rbp, -grow), ax::r11);
      a.mov(ax::r11, ax::qword_ptr(ax::rbp, 8));
      a.mov(ax::qword_ptr(ax::rbp, 8 - grow), ax::r11);
      a.sub(ax::rbp, grow);
    }
    for (size_t k = 0; k < frame_.saved.size(); ++k) {
      a.mov(ax::qword_ptr(ax::rbp, -8 * static_cast<int32_t>(k + 1)), ax::gpq(frame_.saved[k]));
    }
  }

  // Restores the callee-saved registers and the caller's frame: rsp then
  // points at the return address, as at entry.
  void EmitFrameTeardown() {
    ax::Assembler& a = *a_;
    for (size_t k = 0; k < frame_.saved.size(); ++k) {
      a.mov(ax::gpq(frame_.saved[k]), ax::qword_ptr(ax::rbp, -8 * static_cast<int32_t>(k + 1)));
    }
    a.leave();
  }

  // The callee pops its incoming stack-argument area
  // (abi::CalleePoppedBytes, grown by the prologue for tail calls).
  void EmitEpilogue() {
    EmitFrameTeardown();
    if (vc_.incoming_args_size > 0) {
      a_->ret(vc_.incoming_args_size);
    } else {
      a_->ret();
    }
  }

  // After the teardown of a tail call to a callee that pops `popped`
  // bytes: its stack arguments are at the top of our incoming area, so the
  // return address goes right below them (rax is neither an argument nor
  // the indirect target's r11).
  void EmitTailCallShift(int32_t popped) {
    const int32_t shift = static_cast<int32_t>(vc_.incoming_args_size) - popped;
    if (shift == 0) return;
    ax::Assembler& a = *a_;
    a.mov(ax::rax, ax::qword_ptr(ax::rsp));
    a.mov(ax::qword_ptr(ax::rsp, shift), ax::rax);
    a.add(ax::rsp, shift);
  }

  // A wasm callee popped its stack arguments: restore the outgoing area.
  void EmitAfterCall(const Inst& inst) {
    if (inst.mem.disp > 0) a_->sub(ax::rsp, inst.mem.disp);
  }

  // `opcode` rel32 to a known callee (sub: RelocKind, imm: index),
  // resolved through a relocation.
  void EmitRel32ToCallee(uint8_t opcode, const Inst& inst) {
    const uint8_t bytes[5] = {opcode, 0, 0, 0, 0};
    a_->embed(bytes, 5);
    buf_.AddRelocation(RelocEncoding::kX64PcRel32,
                       inst.sub == static_cast<uint8_t>(RelocKind::kBuiltin)
                           ? RelocTarget::kBuiltin
                           : RelocTarget::kWasmFunction,
                       static_cast<uint32_t>(inst.imm),
                       static_cast<uint32_t>(a_->offset() - 4), /*addend=*/-4);
  }

  Label TrapLabel(abi::TrapCode code) { return buf_.TrapLabel(code); }
  void AddTrap(abi::TrapCode code) { buf_.AddTrapSite(code); }
  void MaybeTrap(const Inst& inst) {
    if (inst.trap != kNoTrap) AddTrap(static_cast<abi::TrapCode>(inst.trap));
  }

  void EmitMove(const regalloc::Move& m) override {
    ax::Assembler& a = *a_;
    // Moves leave the flags alone, but one into the register the flags
    // describe replaces its value.
    if (m.to.is_reg() && m.to.reg() == flags_.reg) flags_ = FlagsState();
    const bool fl = m.cls == RegClass::kFloat;
    if (m.from.is_reg() && m.to.is_reg()) {
      if (m.from == m.to) return;
      if (fl) {
        a.movaps(ax::xmm(m.to.reg().hw()), ax::xmm(m.from.reg().hw()));
      } else {
        a.mov(ax::gpq(m.to.reg().hw()), ax::gpq(m.from.reg().hw()));
      }
    } else if (m.from.is_stack() && m.to.is_reg()) {
      if (fl && frame_.slot_bytes == 16) {
        a.movups(ax::xmm(m.to.reg().hw()), SlotMem16(m.from.slot()));
      } else if (fl) {
        a.movsd(ax::xmm(m.to.reg().hw()), SlotMem(m.from.slot()));
      } else {
        a.mov(ax::gpq(m.to.reg().hw()), SlotMem(m.from.slot()));
      }
    } else if (m.from.is_reg() && m.to.is_stack()) {
      if (fl && frame_.slot_bytes == 16) {
        a.movups(SlotMem16(m.to.slot()), ax::xmm(m.from.reg().hw()));
      } else if (fl) {
        a.movsd(SlotMem(m.to.slot()), ax::xmm(m.from.reg().hw()));
      } else {
        a.mov(SlotMem(m.to.slot()), ax::gpq(m.from.reg().hw()));
      }
    } else if (m.from.is_stack() && m.to.is_stack()) {
      if (m.from == m.to) return;
      a.push(SlotMem(m.from.slot()));
      a.pop(SlotMem(m.to.slot()));
      if (fl && frame_.slot_bytes == 16) {
        a.push(ax::qword_ptr(ax::rbp, SlotOffset(m.from.slot()) + 8));
        a.pop(ax::qword_ptr(ax::rbp, SlotOffset(m.to.slot()) + 8));
      }
    }
  }

  // Operand accessors for instruction i.
  isa::Allocation Al(uint32_t i, int slot) const {
    return ra_.allocs[vc_.inst(i).op_begin + slot];
  }
  ax::Gp G(uint32_t i, int slot, int size) const { return GpOf(Al(i, slot).reg().hw(), size); }
  ax::Xmm X(uint32_t i, int slot) const { return ax::xmm(Al(i, slot).reg().hw()); }
  ax::Mem M(uint32_t i, const Inst& inst, int size) const {
    ax::Gp base;
    switch (inst.mem.base) {
      case kBaseRsp: base = ax::rsp; break;
      case kBaseRbp: base = ax::rbp; break;
      default: base = ax::gpq(Al(i, inst.mem.base).reg().hw()); break;
    }
    if (inst.mem.index >= 0) {
      return ax::ptr(base, ax::gpq(Al(i, inst.mem.index).reg().hw()), inst.mem.shift,
                     inst.mem.disp, size);
    }
    return ax::ptr(base, inst.mem.disp, size);
  }

  void EmitJcc(uint8_t cc, Label target) {
    ax::Assembler& a = *a_;
    if (cc == kCondFEq) {
      Label skip = a.newLabel();
      a.jp(skip);
      a.je(target);
      a.bind(skip);
    } else if (cc == kCondFNe) {
      a.jp(target);
      a.jne(target);
    } else {
      a.j(CC(cc), target);
    }
  }

  void EmitLoad(LoadKind k, uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    MaybeTrap(inst);
    switch (k) {
      case LoadKind::kI32: a.mov(G(i, 0, 4), M(i, inst, 4)); break;
      case LoadKind::kI64: a.mov(G(i, 0, 8), M(i, inst, 8)); break;
      case LoadKind::kU8: a.movzx(G(i, 0, 4), M(i, inst, 1)); break;
      case LoadKind::kS8x32: a.movsx(G(i, 0, 4), M(i, inst, 1)); break;
      case LoadKind::kS8x64: a.movsx(G(i, 0, 8), M(i, inst, 1)); break;
      case LoadKind::kU16: a.movzx(G(i, 0, 4), M(i, inst, 2)); break;
      case LoadKind::kS16x32: a.movsx(G(i, 0, 4), M(i, inst, 2)); break;
      case LoadKind::kS16x64: a.movsx(G(i, 0, 8), M(i, inst, 2)); break;
      case LoadKind::kS32x64: a.movsxd(G(i, 0, 8), M(i, inst, 4)); break;
      case LoadKind::kF32: a.movss(X(i, 0), M(i, inst, 4)); break;
      case LoadKind::kF64: a.movsd(X(i, 0), M(i, inst, 8)); break;
      case LoadKind::kV128: a.movdqu(X(i, 0), M(i, inst, 16)); break;
    }
  }

  void EmitExt(LoadKind k, uint32_t i) {
    ax::Assembler& a = *a_;
    switch (k) {
      case LoadKind::kI32: a.mov(G(i, 1, 4), G(i, 0, 4)); break;
      case LoadKind::kI64: if (Al(i, 0) != Al(i, 1)) a.mov(G(i, 1, 8), G(i, 0, 8)); break;
      case LoadKind::kU8: a.movzx(G(i, 1, 4), G(i, 0, 1)); break;
      case LoadKind::kS8x32: a.movsx(G(i, 1, 4), G(i, 0, 1)); break;
      case LoadKind::kS8x64: a.movsx(G(i, 1, 8), G(i, 0, 1)); break;
      case LoadKind::kU16: a.movzx(G(i, 1, 4), G(i, 0, 2)); break;
      case LoadKind::kS16x32: a.movsx(G(i, 1, 4), G(i, 0, 2)); break;
      case LoadKind::kS16x64: a.movsx(G(i, 1, 8), G(i, 0, 2)); break;
      case LoadKind::kS32x64: a.movsxd(G(i, 1, 8), G(i, 0, 4)); break;
      default: break;
    }
  }

  void EmitStore(StoreKind k, uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    MaybeTrap(inst);
    switch (k) {
      case StoreKind::kI8: a.mov(M(i, inst, 1), G(i, 0, 1)); break;
      case StoreKind::kI16: a.mov(M(i, inst, 2), G(i, 0, 2)); break;
      case StoreKind::kI32: a.mov(M(i, inst, 4), G(i, 0, 4)); break;
      case StoreKind::kI64: a.mov(M(i, inst, 8), G(i, 0, 8)); break;
      case StoreKind::kF32: a.movss(M(i, inst, 4), X(i, 0)); break;
      case StoreKind::kF64: a.movsd(M(i, inst, 8), X(i, 0)); break;
      case StoreKind::kV128: a.movdqu(M(i, inst, 16), X(i, 0)); break;
    }
  }

  void MovImm(const ax::Gp& dst64, int64_t imm, int size) {
    ax::Assembler& a = *a_;
    ax::Gp d32 = ax::gpd(dst64.id());
    if (imm == 0) {
      a.xor_(d32, d32);
    } else if (size == 4 || (imm > 0 && imm <= 0xffffffffll)) {
      a.mov(d32, Imm(static_cast<uint32_t>(imm)));
    } else {
      a.mov(dst64, Imm(imm));
    }
  }

  void LoadFloatConst(const ax::Xmm& dst, const ax::Gp& tmp, uint64_t bits, int size) {
    ax::Assembler& a = *a_;
    if (bits == 0) {
      a.xorps(dst, dst);
      return;
    }
    MovImm(ax::gpq(tmp.id()), static_cast<int64_t>(bits), size);
    if (size == 4) {
      a.movd(dst, ax::gpd(tmp.id()));
    } else {
      a.movq(dst, ax::gpq(tmp.id()));
    }
  }

  void EmitDiv(uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    const int sz = inst.size;
    const auto kind = static_cast<DivKind>(inst.sub);
    ax::Gp divisor = G(i, 1, sz);
    ax::Gp rax = GpOf(kRax, sz), rdx = GpOf(kRdx, sz);
    Label done = a.newLabel();
    const bool checks = inst.imm != 0;
    if (kind == DivKind::kUdiv || kind == DivKind::kUrem) {
      a.xor_(ax::edx, ax::edx);
      AddTrap(abi::TrapCode::kIntegerDivisionByZero);
      a.div(rdx, rax, divisor);
    } else {
      if (checks) {
        Label normal = a.newLabel();
        a.cmp(divisor, -1);
        a.jne(normal);
        if (kind == DivKind::kSdiv) {
          a.neg(rax);  // -x; overflows exactly for INT_MIN
          a.jo(TrapLabel(abi::TrapCode::kIntegerOverflow));
        } else {
          a.xor_(ax::edx, ax::edx);  // x % -1 == 0
        }
        a.jmp(done);
        a.bind(normal);
      }
      if (sz == 8) {
        a.cqo(ax::rdx, ax::rax);
      } else {
        a.cdq(ax::edx, ax::eax);
      }
      AddTrap(abi::TrapCode::kIntegerDivisionByZero);
      a.idiv(rdx, rax, divisor);
    }
    a.bind(done);
  }

  // Threads (inst.def: AtomicRmw / AtomicCas / AtomicStore). x86 is TSO:
  // a locked instruction or xchg is a full barrier, so each sequence is
  // sequentially consistent on its own; plain loads are too (Lowerer).
  void EmitAtomicRmw(uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    const int n = inst.size;        // bytes accessed
    const int rsz = n == 8 ? 8 : 4;  // register width for the arithmetic
    const auto op = static_cast<AtomicOp>(inst.sub);
    const ax::Mem m = M(i, inst, n);
    if (inst.imm == 1 && op != AtomicOp::kXchg) {  // the old value is unused
      const ax::Gp src = G(i, 0, n);
      MaybeTrap(inst);
      switch (op) {
        case AtomicOp::kAdd: a.lock().add(m, src); break;
        case AtomicOp::kSub: a.lock().sub(m, src); break;
        case AtomicOp::kAnd: a.lock().and_(m, src); break;
        case AtomicOp::kOr: a.lock().or_(m, src); break;
        default: a.lock().xor_(m, src); break;
      }
      return;
    }
    switch (op) {
      case AtomicOp::kAdd:
      case AtomicOp::kSub:
        a.mov(G(i, 1, rsz), G(i, 0, rsz));
        if (op == AtomicOp::kSub) a.neg(G(i, 1, rsz));
        MaybeTrap(inst);
        a.lock().xadd(m, G(i, 1, n));
        break;
      case AtomicOp::kXchg:
        a.mov(G(i, 1, rsz), G(i, 0, rsz));
        MaybeTrap(inst);
        a.xchg(m, G(i, 1, n));  // implicitly locked
        break;
      default: {
        // dst is rax: load, compute into tmp, lock cmpxchg until no other
        // thread wrote in between (cmpxchg reloads rax when one did).
        MaybeTrap(inst);
        a.mov(G(i, 1, n), m);
        Label loop = a.newLabel();
        a.bind(loop);
        a.mov(G(i, 2, rsz), G(i, 1, rsz));
        if (op == AtomicOp::kAnd) {
          a.and_(G(i, 2, rsz), G(i, 0, rsz));
        } else if (op == AtomicOp::kOr) {
          a.or_(G(i, 2, rsz), G(i, 0, rsz));
        } else {
          a.xor_(G(i, 2, rsz), G(i, 0, rsz));
        }
        a.lock().cmpxchg(m, G(i, 2, n), G(i, 1, n));
        a.jne(loop);
        break;
      }
    }
    // A 32- or 64-bit destination is complete already (32-bit writes clear
    // the upper half).
    if (n < 4) ZeroExtendAtomicResult(G(i, 1, 8), n);
  }

  void EmitAtomicCas(uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    const int n = inst.size;
    MaybeTrap(inst);
    a.lock().cmpxchg(M(i, inst, n), G(i, 1, n), GpOf(kRax, n));
    // On success rax still holds all of `expected`, whose bits above the
    // access may be set.
    ZeroExtendAtomicResult(ax::rax, n);
  }

  void EmitAtomicStore(uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    const int n = inst.size;
    a.mov(G(i, 1, n == 8 ? 8 : 4), G(i, 0, n == 8 ? 8 : 4));
    MaybeTrap(inst);
    a.xchg(M(i, inst, n), G(i, 1, n));
  }

  // The old value of an n-byte atomic access, zero-extended to 64 bits.
  void ZeroExtendAtomicResult(ax::Gp r64, int n) {
    ax::Assembler& a = *a_;
    const ax::Gp r32 = r64.r32();
    if (n == 1) a.movzx(r32, r64.r8());
    if (n == 2) a.movzx(r32, r64.r16());
    if (n == 4) a.mov(r32, r32);
  }

  // Float -> int with wasm semantics. Operands: r0 src xmm, r1 dst gpr,
  // r2/r3 xmm temps, r4 gpr temp.
  void EmitCvtFloatToInt(uint32_t i, const Inst& inst) {
    ax::Assembler& a = *a_;
    const int isz = inst.size;
    const int fsz = static_cast<int>(inst.imm);
    const auto kind = static_cast<FloatToIntKind>(inst.sub);
    ax::Xmm src = X(i, 0), t1 = X(i, 2), t2 = X(i, 3);
    ax::Gp dst = G(i, 1, isz), dst64 = G(i, 1, 8), dst32 = G(i, 1, 4);
    ax::Gp tg = G(i, 4, 8);
    auto cvtt = [&](const ax::Gp& d, const ax::Xmm& s) {
      if (fsz == 4) a.cvttss2si(d, s); else a.cvttsd2si(d, s);
    };
    auto ucomis = [&](const ax::Xmm& x, const ax::Xmm& y) {
      if (fsz == 4) a.ucomiss(x, y); else a.ucomisd(x, y);
    };
    auto sub = [&](const ax::Xmm& x, const ax::Xmm& y) {
      if (fsz == 4) a.subss(x, y); else a.subsd(x, y);
    };
    // 2^63 as a float of the source width.
    const uint64_t two63 = fsz == 4 ? 0x5F000000u : 0x43E0000000000000ull;
    Label done = a.newLabel();
    switch (kind) {
      case FloatToIntKind::kSigned:
        if (isz == 4) {
          ucomis(src, src);
          a.jp(TrapLabel(abi::TrapCode::kBadConversionToInteger));
          cvtt(dst64, src);
          a.movsxd(tg, dst32);
          a.cmp(tg, dst64);
          a.jne(TrapLabel(abi::TrapCode::kIntegerOverflow));
          a.mov(dst32, dst32);  // i32 values keep their upper 32 bits zero
        } else {
          cvtt(dst64, src);
          a.cmp(dst64, 1);
          a.jno(done);
          ucomis(src, src);
          a.jp(TrapLabel(abi::TrapCode::kBadConversionToInteger));
          // dst == INT64_MIN: valid only for src == -2^63 exactly.
          LoadFloatConst(t1, tg, fsz == 4 ? 0xDF000000u : 0xC3E0000000000000ull, fsz);
          ucomis(src, t1);
          a.jne(TrapLabel(abi::TrapCode::kIntegerOverflow));
        }
        break;
      case FloatToIntKind::kSignedSat: {
        cvtt(dst, src);
        a.cmp(dst, 1);
        a.jno(done);
        Label not_nan = a.newLabel();
        ucomis(src, src);
        a.jnp(not_nan);
        a.xor_(dst32, dst32);
        a.jmp(done);
        a.bind(not_nan);
        a.xorps(t1, t1);
        ucomis(t1, src);
        a.jae(done);  // src <= 0: keep INT_MIN
        a.not_(dst);  // INT_MIN -> INT_MAX
        break;
      }
      case FloatToIntKind::kUnsigned:
        ucomis(src, src);
        a.jp(TrapLabel(abi::TrapCode::kBadConversionToInteger));
        if (isz == 4) {
          cvtt(dst64, src);
          a.mov(tg, dst64);
          a.shr(tg, 32);
          a.jnz(TrapLabel(abi::TrapCode::kIntegerOverflow));
        } else {
          Label large = a.newLabel();
          LoadFloatConst(t1, tg, two63, fsz);
          ucomis(src, t1);
          a.jae(large);
          cvtt(dst64, src);
          a.test(dst64, dst64);
          a.js(TrapLabel(abi::TrapCode::kIntegerOverflow));
          a.jmp(done);
          a.bind(large);
          a.movaps(t2, src);
          sub(t2, t1);
          cvtt(dst64, t2);
          a.test(dst64, dst64);
          a.js(TrapLabel(abi::TrapCode::kIntegerOverflow));
          a.btc(dst64, 63);
        }
        break;
      case FloatToIntKind::kUnsignedSat: {
        Label zero = a.newLabel();
        a.xorps(t1, t1);
        ucomis(src, t1);
        a.jbe(zero);  // src <= 0 or NaN
        if (isz == 4) {
          cvtt(dst64, src);  // >= 2^63 gives INT64_MIN
          a.mov(ax::gpd(tg.id()), -1);
          a.test(dst64, dst64);
          a.cmovs(dst64, tg);
          a.cmp(dst64, tg);
          a.cmova(dst64, tg);
        } else {
          Label large = a.newLabel();
          LoadFloatConst(t1, tg, two63, fsz);
          ucomis(src, t1);
          a.jae(large);
          cvtt(dst64, src);
          a.jmp(done);
          a.bind(large);
          a.movaps(t2, src);
          sub(t2, t1);
          cvtt(dst64, t2);
          Label sat = a.newLabel();
          a.test(dst64, dst64);
          a.js(sat);
          a.btc(dst64, 63);
          a.jmp(done);
          a.bind(sat);
          a.mov(dst64, -1);
        }
        a.jmp(done);
        a.bind(zero);
        a.xor_(dst32, dst32);
        break;
      }
    }
    a.bind(done);
  }

  // ---- Flags of ALU results (no `test r, r` after `sub r, 1`) ----
  //
  // Decided here, on allocated registers and the instructions really
  // emitted (the allocator's moves and reloads included), not in the
  // lowering: what sits between an ALU op and a compare is only known now.

  // Which register's value the flags describe (the last flag-setting
  // instruction was an add / sub / and / or / xor / neg writing it).
  struct FlagsState {
    PReg reg;  // invalid: nothing known
    uint8_t size = 0;
    bool logic = false;  // and / or / xor: CF = OF = 0 as after `test`
  };

  static bool ReadsFlags(const Inst& inst) {
    switch (inst.op) {
      case Op::kJcc: case Op::kCmov: case Op::kSetcc: case Op::kTrapIf: case Op::kXmmCmov:
        return true;
      case Op::kAluRR: case Op::kAluRI: case Op::kAluRM:
        return inst.sub == static_cast<uint8_t>(AluOp::kAdc) ||
               inst.sub == static_cast<uint8_t>(AluOp::kSbb);
      default:
        return false;
    }
  }

  // After instruction i (an ALU op, neg or andn): the flags describe its result.
  void SetFlagsFrom(uint32_t i, const Inst& inst) {
    bool logic;
    if (inst.op == Op::kAndn) {
      logic = true;
    } else if (inst.op == Op::kUnary) {
      if (inst.sub != 0) return;  // not: leaves the flags alone
      logic = false;
    } else {
      switch (static_cast<AluOp>(inst.sub)) {
        case AluOp::kAdd: case AluOp::kSub: logic = false; break;
        case AluOp::kAnd: case AluOp::kOr: case AluOp::kXor: logic = true; break;
        default: return;  // imul: ZF / SF undefined; adc / sbb: not tracked
      }
    }
    flags_ = FlagsState{Al(i, inst.op == Op::kAndn ? 2 : 0).reg(), inst.size, logic};
  }

  // Instructions that leave the flags alone (mov, lea, loads, stores, sign
  // / zero extensions, constants other than the xor-zeroed 0, BMI2 shifts
  // and rotates, the flags' readers): the flags
  // still describe `prev.reg` unless i writes that register.
  bool KeepsFlags(uint32_t i, const Inst& inst, const FlagsState& prev) const {
    if (!prev.reg.valid()) return false;
    int def;  // the operand slot of the integer register written, or -1
    switch (inst.op) {
      case Op::kStore: case Op::kStoreImm: case Op::kXmmMov: case Op::kXmmCmov:
      case Op::kTrapIf: case Op::kJcc:
        return true;
      case Op::kLea: case Op::kLoad: case Op::kCmov:
        def = 0;
        break;
      case Op::kMovRR: case Op::kExt: case Op::kRorx:
        def = 1;
        break;
      case Op::kShiftX:
        def = 2;
        break;
      case Op::kSetcc:
        if (inst.cc == kCondFEq || inst.cc == kCondFNe) return false;  // and / or
        def = 0;
        break;
      case Op::kMovImm:
        if (inst.imm == 0) return false;
        def = 0;
        break;
      default:
        return false;
    }
    const Allocation d = Al(i, def);
    return !d.is_reg() || d.reg() != prev.reg;
  }

  // The condition that tests on an ALU result's own flags what `cc` tests
  // after `test r, r` / `cmp r, 0`, or -1. ZF, SF and PF are the result's
  // either way; after add / sub / neg CF and OF are not 0: r <s 0 is SF
  // alone, r >u 0 is r != 0; r <=s 0 and r >s 0 need OF = 0.
  static int CondOnAluFlags(uint8_t cc, bool logic) {
    if (cc == kCondP || cc == kCondNP || cc >= kCondFEq) return -1;  // andn: PF undefined
    if (logic) return cc;
    switch (cc) {
      case kCondE: case kCondNE: case kCondS: case kCondNS: return cc;
      case kCondL: return kCondS;
      case kCondGE: return kCondNS;
      case kCondA: return kCondNE;
      case kCondBE: return kCondE;
      default: return -1;
    }
  }

  // Whether compare i is `test r, r` or `cmp r, 0`.
  bool IsZeroCompare(uint32_t i, const Inst& inst) const {
    return inst.op == Op::kCmpRR ? inst.sub == 1 && Al(i, 0) == Al(i, 1)
                                 : inst.sub == 0 && inst.imm == 0;
  }

  // After an emitted compare i: a zero compare leaves the flags of a logic
  // op on r (the compare emitted again for another use can go).
  void NoteZeroCompare(uint32_t i, const Inst& inst) {
    if (IsZeroCompare(i, inst)) flags_ = FlagsState{Al(i, 0).reg(), inst.size, true};
  }

  // Whether compare i (`test r, r` or `cmp r, 0`) can be left out because
  // the flags already describe r (`prev`) with the same width; then the
  // one instruction after it that reads the flags tests cond_ instead.
  bool ElideCompare(uint32_t i, const Inst& inst, const FlagsState& prev) {
    if (!prev.reg.valid() || prev.size != inst.size || !IsZeroCompare(i, inst)) return false;
    if (!Al(i, 0).is_reg() || Al(i, 0).reg() != prev.reg) return false;
    if (i + 1 >= f_.insts.size()) return false;
    const Inst& user = f_.insts[i + 1];
    if (!ReadsFlags(user) || user.op == Op::kAluRR || user.op == Op::kAluRI ||
        user.op == Op::kAluRM) {
      return false;
    }
    // A second reader would see the flags too (not emitted by the lowering).
    if (i + 2 < f_.insts.size() && user.op != Op::kJcc && ReadsFlags(f_.insts[i + 2])) {
      return false;
    }
    const int cc = CondOnAluFlags(user.cc, prev.logic);
    if (cc < 0) return false;
    cond_inst_ = i + 1;
    cond_ = static_cast<uint8_t>(cc);
    flags_ = prev;
    return true;
  }

  // The condition flags reader i tests (its own, or ElideCompare's).
  uint8_t CondOf(uint32_t i, const Inst& inst) {
    const bool retarget = cond_inst_ == i;
    cond_inst_ = ~0u;
    return retarget ? cond_ : inst.cc;
  }

  void EmitInst(uint32_t i) override {
    ax::Assembler& a = *a_;
    const Inst& inst = f_.insts[i];
    const int sz = inst.size;
    const FlagsState prev = flags_;
    flags_ = KeepsFlags(i, inst, prev) ? prev : FlagsState();
    switch (inst.op) {
      case Op::kArgs:
        break;
      case Op::kMovRR:
        if (Al(i, 0) != Al(i, 1)) a.mov(G(i, 1, sz), G(i, 0, sz));
        break;
      case Op::kMovImm:
        MovImm(G(i, 0, 8), inst.imm, sz);
        break;
      case Op::kLoad:
        EmitLoad(static_cast<LoadKind>(inst.sub), i, inst);
        break;
      case Op::kStore:
        EmitStore(static_cast<StoreKind>(inst.sub), i, inst);
        break;
      case Op::kStoreImm:
        MaybeTrap(inst);
        a.mov(M(i, inst, sz), Imm(inst.imm));
        break;
      case Op::kLea:
        a.lea(G(i, 0, sz), M(i, inst, 0));
        break;
      case Op::kAluRR:
        a.emit(AluId(static_cast<AluOp>(inst.sub)), G(i, 0, sz), G(i, 1, sz));
        SetFlagsFrom(i, inst);
        break;
      case Op::kAluRI:
        a.emit(AluId(static_cast<AluOp>(inst.sub)), G(i, 0, sz), Imm(inst.imm));
        SetFlagsFrom(i, inst);
        break;
      case Op::kAluRM:
        MaybeTrap(inst);
        a.emit(AluId(static_cast<AluOp>(inst.sub)), G(i, 0, sz), M(i, inst, sz));
        SetFlagsFrom(i, inst);
        break;
      case Op::kImul3:
        a.imul(G(i, 1, sz), G(i, 0, sz), Imm(inst.imm));
        break;
      case Op::kCmpRR:
        if (ElideCompare(i, inst, prev)) break;
        if (inst.sub == 0) a.cmp(G(i, 0, sz), G(i, 1, sz)); else a.test(G(i, 0, sz), G(i, 1, sz));
        NoteZeroCompare(i, inst);
        break;
      case Op::kCmpRI:
        if (ElideCompare(i, inst, prev)) break;
        if (inst.sub == 0) a.cmp(G(i, 0, sz), Imm(inst.imm)); else a.test(G(i, 0, sz), Imm(inst.imm));
        NoteZeroCompare(i, inst);
        break;
      case Op::kCmpRM:
        MaybeTrap(inst);
        a.cmp(G(i, 0, sz), M(i, inst, sz));
        break;
      case Op::kShiftRC:
        a.emit(ShiftId(static_cast<ShiftOp>(inst.sub)), G(i, 0, sz), ax::cl);
        break;
      case Op::kShiftRI:
        a.emit(ShiftId(static_cast<ShiftOp>(inst.sub)), G(i, 0, sz), Imm(inst.imm));
        break;
      case Op::kUnary:
        if (inst.sub == 0) a.neg(G(i, 0, sz)); else a.not_(G(i, 0, sz));
        SetFlagsFrom(i, inst);
        break;
      case Op::kExt:
        EmitExt(static_cast<LoadKind>(inst.sub), i);
        break;
      case Op::kDiv:
        EmitDiv(i, inst);
        break;
      case Op::kMulWide:
        if (inst.sub == 0) {
          a.mul(GpOf(kRdx, sz), GpOf(kRax, sz), G(i, 1, sz));
        } else {
          a.imul(GpOf(kRdx, sz), GpOf(kRax, sz), G(i, 1, sz));
        }
        break;
      case Op::kAtomicRmw:
        EmitAtomicRmw(i, inst);
        break;
      case Op::kAtomicCas:
        EmitAtomicCas(i, inst);
        break;
      case Op::kAtomicStore:
        EmitAtomicStore(i, inst);
        break;
      case Op::kFence:
        a.mfence();
        break;
      case Op::kSetcc: {
        ax::Gp d8 = G(i, 0, 1);
        if (inst.cc == kCondFEq || inst.cc == kCondFNe) {
          ax::Gp t8 = G(i, 1, 1);
          if (inst.cc == kCondFEq) {
            a.setnp(t8);
            a.sete(d8);
            a.and_(d8, t8);
          } else {
            a.setp(t8);
            a.setne(d8);
            a.or_(d8, t8);
          }
        } else {
          a.set(CC(CondOf(i, inst)), d8);
        }
        a.movzx(G(i, 0, 4), d8);
        break;
      }
      case Op::kCmov:
        a.cmov(CC(CondOf(i, inst)), G(i, 0, sz), G(i, 1, sz));
        break;
      case Op::kXmmCmov: {
        Label skip = a.newLabel();
        EmitJcc(InvertCond(static_cast<Cond>(CondOf(i, inst))), skip);
        a.movaps(X(i, 0), X(i, 1));
        a.bind(skip);
        break;
      }
      case Op::kJmp:
        // A jmp leaves the flags alone: a rotated loop's copied compare
        // (EmitJumpTerminator) may use the latch's.
        flags_ = prev;
        d_.EmitJumpTerminator();
        break;
      case Op::kJcc:
        d_.EmitCondBranch(CondOf(i, inst));
        break;
      case Op::kBrTable: {
        const uint32_t n = static_cast<uint32_t>(vc_.succs(d_.cur_block()).size()) - 1;
        ax::Gp idx = G(i, 0, 4), t1 = G(i, 1, 8), t2 = G(i, 2, 8);
        a.cmp(idx, n);
        a.jae(d_.EdgeTarget(0));
        Label table = a.newLabel();
        a.lea(t1, ax::ptr(table));
        a.mov(ax::gpd(t2.id()), idx);
        a.movsxd(t2, ax::dword_ptr(t1, t2, 2));
        a.add(t1, t2);
        a.jmp(t1);
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
        AddTrap(static_cast<abi::TrapCode>(inst.imm));
        a.ud2();
        break;
      case Op::kTrapIf:
        EmitJcc(CondOf(i, inst), TrapLabel(static_cast<abi::TrapCode>(inst.imm)));
        break;
      case Op::kCallKnown:
        EmitRel32ToCallee(0xE8, inst);  // call rel32
        EmitAfterCall(inst);
        break;
      case Op::kCallInd:
        a.call(G(i, 0, 8));
        EmitAfterCall(inst);
        break;
      case Op::kReturnCallKnown:
        EmitFrameTeardown();
        EmitTailCallShift(inst.mem.disp);
        EmitRel32ToCallee(0xE9, inst);  // jmp rel32
        break;
      case Op::kReturnCallInd:
        // The target may sit in a callee-saved register the teardown
        // restores; r11 is neither callee-saved nor an argument register.
        if (G(i, 0, 8) != ax::r11) a.mov(ax::r11, G(i, 0, 8));
        EmitFrameTeardown();
        EmitTailCallShift(inst.mem.disp);
        a.jmp(ax::r11);
        break;
      case Op::kBitCount: {
        const InstId id = inst.sub == 0 ? ax::Inst::kIdLzcnt
                          : inst.sub == 1 ? ax::Inst::kIdTzcnt
                                          : ax::Inst::kIdPopcnt;
        a.emit(id, G(i, 1, sz), G(i, 0, sz));
        break;
      }
      case Op::kAndn:
        a.andn(G(i, 2, sz), G(i, 0, sz), G(i, 1, sz));
        SetFlagsFrom(i, inst);
        break;
      case Op::kShiftX: {
        const auto op = static_cast<ShiftOp>(inst.sub);
        const InstId id = op == ShiftOp::kShl   ? ax::Inst::kIdShlx
                          : op == ShiftOp::kShr ? ax::Inst::kIdShrx
                                                : ax::Inst::kIdSarx;
        a.emit(id, G(i, 2, sz), G(i, 0, sz), G(i, 1, sz));
        break;
      }
      case Op::kRorx:
        a.rorx(G(i, 1, sz), G(i, 0, sz), Imm(inst.imm));
        break;
      case Op::kBls:
        if (inst.sub == 0) a.blsr(G(i, 1, sz), G(i, 0, sz)); else a.blsi(G(i, 1, sz), G(i, 0, sz));
        break;
      case Op::kBitScan: {
        ax::Gp d = G(i, 1, sz), t = G(i, 2, sz);
        const int bits = 8 * sz;
        if (inst.sub == 0) {
          a.bsr(d, G(i, 0, sz));
          a.mov(ax::gpd(t.id()), 2 * bits - 1);
          a.cmovz(d, t);
          a.xor_(d, bits - 1);
        } else {
          a.bsf(d, G(i, 0, sz));
          a.mov(ax::gpd(t.id()), bits);
          a.cmovz(d, t);
        }
        break;
      }
      case Op::kPopcntSoft: {
        ax::Gp x = G(i, 1, sz), t1 = G(i, 2, sz), t2 = G(i, 3, sz);
        const bool q = sz == 8;
        auto k = [&](uint64_t v) { MovImm(ax::gpq(t2.id()), q ? int64_t(v) : int64_t(v & 0xffffffffu), sz); };
        a.mov(x, G(i, 0, sz));
        a.mov(t1, x);
        a.shr(t1, 1);
        k(0x5555555555555555ull);
        a.and_(t1, t2);
        a.sub(x, t1);
        a.mov(t1, x);
        k(0x3333333333333333ull);
        a.and_(t1, t2);
        a.shr(x, 2);
        a.and_(x, t2);
        a.add(x, t1);
        a.mov(t1, x);
        a.shr(t1, 4);
        a.add(x, t1);
        k(0x0f0f0f0f0f0f0f0full);
        a.and_(x, t2);
        k(0x0101010101010101ull);
        a.imul(x, t2);
        a.shr(x, 8 * sz - 8);
        break;
      }
      case Op::kXmmMov:
        if (Al(i, 0) != Al(i, 1)) a.movaps(X(i, 1), X(i, 0));
        break;
      case Op::kXmmRR:
        a.emit(SseId(static_cast<SseOp>(inst.sub), sz), X(i, 0), X(i, 1));
        break;
      case Op::kXmmRM: {
        MaybeTrap(inst);
        a.emit(SseId(static_cast<SseOp>(inst.sub), sz), X(i, 0), M(i, inst, sz));
        break;
      }
      case Op::kXmmSqrt:
        if (sz == 4) a.sqrtss(X(i, 1), X(i, 0)); else a.sqrtsd(X(i, 1), X(i, 0));
        break;
      case Op::kXmmRound:
        if (sz == 4) a.roundss(X(i, 1), X(i, 0), Imm(inst.imm));
        else a.roundsd(X(i, 1), X(i, 0), Imm(inst.imm));
        break;
      case Op::kUcomis:
        if (sz == 4) a.ucomiss(X(i, 0), X(i, 1)); else a.ucomisd(X(i, 0), X(i, 1));
        break;
      case Op::kCvtIntToFloat: {
        ax::Xmm d = X(i, 1);
        a.xorps(d, d);
        if (sz == 4) a.cvtsi2ss(d, G(i, 0, inst.sub)); else a.cvtsi2sd(d, G(i, 0, inst.sub));
        break;
      }
      case Op::kCvtU64ToFloat: {
        ax::Gp s = G(i, 0, 8), t1 = G(i, 2, 8), t2 = G(i, 3, 8);
        ax::Xmm d = X(i, 1);
        Label large = a.newLabel(), done = a.newLabel();
        a.xorps(d, d);
        a.test(s, s);
        a.js(large);
        if (sz == 4) a.cvtsi2ss(d, s); else a.cvtsi2sd(d, s);
        a.jmp(done);
        a.bind(large);
        a.mov(t1, s);
        a.shr(t1, 1);
        a.mov(t2, s);
        a.and_(t2, 1);
        a.or_(t1, t2);
        if (sz == 4) {
          a.cvtsi2ss(d, t1);
          a.addss(d, d);
        } else {
          a.cvtsi2sd(d, t1);
          a.addsd(d, d);
        }
        a.bind(done);
        break;
      }
      case Op::kCvtFloatFloat:
        if (sz == 8) a.cvtss2sd(X(i, 1), X(i, 0)); else a.cvtsd2ss(X(i, 1), X(i, 0));
        break;
      case Op::kCvtFloatToInt:
        EmitCvtFloatToInt(i, inst);
        break;
      case Op::kMovToXmm:
        if (sz == 4) a.movd(X(i, 1), G(i, 0, 4)); else a.movq(X(i, 1), G(i, 0, 8));
        break;
      case Op::kMovFromXmm:
        if (sz == 4) a.movd(G(i, 1, 4), X(i, 0)); else a.movq(G(i, 1, 8), X(i, 0));
        break;
      case Op::kXmmConst:
        LoadFloatConst(X(i, 0), G(i, 1, 8), static_cast<uint64_t>(inst.imm), sz);
        break;
      case Op::kVecRR:
        if (inst.sub & 1) {
          a.emit(static_cast<InstId>(inst.imm), X(i, 0), X(i, 1), Imm(inst.cc));
        } else {
          a.emit(static_cast<InstId>(inst.imm), X(i, 0), X(i, 1));
        }
        break;
      case Op::kVecRI:
        a.emit(static_cast<InstId>(inst.imm), X(i, 0), Imm(inst.cc));
        break;
      case Op::kVecVex:
        if (inst.sub == 3) {
          a.emit(static_cast<InstId>(inst.imm), X(i, 0), X(i, 1), X(i, 2), X(i, 3));
        } else {
          a.emit(static_cast<InstId>(inst.imm), X(i, 0), X(i, 1), X(i, 2));
        }
        break;
      case Op::kVecInsert:
        a.emit(static_cast<InstId>(inst.imm), X(i, 0), G(i, 1, sz), Imm(inst.cc));
        break;
      case Op::kVecExtract:
        if (inst.sub & 1) {
          a.emit(static_cast<InstId>(inst.imm), G(i, 1, sz), X(i, 0), Imm(inst.cc));
        } else {
          a.emit(static_cast<InstId>(inst.imm), G(i, 1, sz), X(i, 0));
        }
        break;
      case Op::kXmmMinMax: {
        ax::Xmm lhs = X(i, 0), dst = X(i, 1);
        const bool d = sz == 8;
        Label do_minmax = a.newLabel(), nan = a.newLabel(), done = a.newLabel();
        if (d) a.ucomisd(lhs, dst); else a.ucomiss(lhs, dst);
        a.jne(do_minmax);
        a.jp(nan);
        // Equal (possibly +0 / -0): min ors the sign bits, max ands them.
        if (inst.sub == 0) a.orps(dst, lhs); else a.andps(dst, lhs);
        a.jmp(done);
        a.bind(nan);
        if (d) a.addsd(dst, lhs); else a.addss(dst, lhs);
        a.jmp(done);
        a.bind(do_minmax);
        a.emit(SseId(inst.sub == 0 ? SseOp::kMin : SseOp::kMax, sz), dst, lhs);
        a.bind(done);
        break;
      }
    }
  }

  const MachFunction& f_;
  const VCode& vc_;
  const regalloc::Output& ra_;
  const CompileContext& ctx_;
  EmitDriver d_;
  EmitBuffer& buf_;
  ax::Assembler asm_;
  ax::Assembler* a_;
  const FrameLayout& frame_;
  FlagsState flags_;
  // The flags reader whose compare was left out (ElideCompare) and the
  // condition it tests instead.
  uint32_t cond_inst_ = ~0u;
  uint8_t cond_ = 0;
};

}  // namespace

absl::StatusOr<CompiledFunction> Emit(const MachFunction& f, const regalloc::Output& ra,
                                      const CompileContext& ctx) {
  Emitter e(f, ra, ctx);
  return e.Run();
}

absl::StatusOr<CompiledFunction> AllocateAndEmit(const MachFunction& f,
                                                 const CompileContext& ctx) {
  absl::StatusOr<regalloc::Output> ra = AllocateRegisters(f.vcode, f.name, X64Abi(), ctx);
  if (!ra.ok()) return ra.status();
  return Emit(f, *ra, ctx);
}

}  // namespace kiln::isa::x64
