// AArch64 encoding of the trampolines' steps (codegen/trampolines/
// emitter.h; the sequence is in trampolines.cc). Both frames keep an
// x29/x30 frame record; the array call saves x19 (the ValRaw array) and
// x20 (the target) above its frame record.
// Debian's asmjit/arm.h does not pull AArch64 in on an x86 host.
#include <asmjit/arm/a64assembler.h>

#include <memory>

#include "codegen/trampolines/emitter.h"
#include "runtime/abi/aarch64/call_conv.h"

namespace kiln::trampolines {
namespace {

namespace a64 = asmjit::a64;
using asmjit::Imm;
using Conv = abi::aarch64::CallConv;
using wasm::ValType;

// Register 31 is sp here (every use below is one where sp is allowed).
a64::GpX X(uint8_t r) { return r == Conv::kStackPointer ? a64::sp : a64::x(r); }

// The load / store instructions and register operand that move `type`'s
// width.
struct Access {
  asmjit::InstId load;
  asmjit::InstId store;
  asmjit::Operand reg;
};
Access AccessFor(ValType type, uint8_t reg) {
  constexpr asmjit::InstId kLdr = a64::Inst::kIdLdr;
  constexpr asmjit::InstId kStr = a64::Inst::kIdStr;
  constexpr asmjit::InstId kLdrV = a64::Inst::kIdLdr_v;
  constexpr asmjit::InstId kStrV = a64::Inst::kIdStr_v;
  switch (type) {
    case ValType::kF32:
      return {kLdrV, kStrV, a64::s(reg)};
    case ValType::kF64:
      return {kLdrV, kStrV, a64::d(reg)};
    case ValType::kV128:
      return {kLdrV, kStrV, a64::v(reg)};
    case ValType::kI32:
      return {kLdr, kStr, a64::w(reg)};
    default:
      return {kLdr, kStr, a64::x(reg)};
  }
}

class Aarch64Emitter final : public Emitter {
 public:
  Aarch64Emitter() {
    code_.init(asmjit::Environment::host());
    code_.attach(&a_);
  }

  // x16 / x17 (the intra-procedure-call scratch registers) and v16 are no
  // argument registers.
  Regs regs() const override { return {19, 20, 16, 17, 16}; }
  // sub sp, sp, #imm12.
  int32_t max_frame_bytes() const override { return 4095; }

  void EmitArrayCallPrologue() override {
    a_.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -32));
    a_.mov(a64::x29, a64::sp);
    a_.stp(a64::x19, a64::x20, a64::ptr(a64::sp, 16));
  }
  void EmitArrayCallEpilogue() override {
    a_.mov(a64::sp, a64::x29);
    a_.ldp(a64::x19, a64::x20, a64::ptr(a64::sp, 16));
    a_.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 32));
    a_.ret(a64::x30);
  }
  void EmitFrameRecord() override {
    a_.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -16));
    a_.mov(a64::x29, a64::sp);
  }
  // Called as a wasm function, it pops its stack arguments
  // (abi::CalleePoppedBytes).
  void EmitFrameRecordEpilogue(int32_t popped_bytes) override {
    a_.mov(a64::sp, a64::x29);
    a_.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 16));
    // add takes a 12-bit immediate, optionally shifted by 12.
    if (popped_bytes & ~0xfff) a_.add(a64::sp, a64::sp, Imm(popped_bytes & ~0xfff));
    if (popped_bytes & 0xfff) a_.add(a64::sp, a64::sp, Imm(popped_bytes & 0xfff));
    a_.ret(a64::x30);
  }

  void EmitAllocStack(int32_t bytes) override {
    a_.sub(a64::sp, a64::sp, Imm(bytes));
  }
  void EmitMove(uint8_t dst, uint8_t src) override { a_.mov(X(dst), X(src)); }
  void EmitStackAddress(uint8_t dst, int32_t offset) override {
    a_.add(a64::x(dst), a64::sp, Imm(offset));
  }
  void EmitLoad(ValType type, uint8_t reg, uint8_t base,
                int32_t offset) override {
    const Access acc = AccessFor(type, reg);
    a_.emit(acc.load, acc.reg, a64::ptr(X(base), offset));
  }
  void EmitStore(ValType type, uint8_t reg, uint8_t base,
                 int32_t offset) override {
    const Access acc = AccessFor(type, reg);
    a_.emit(acc.store, acc.reg, a64::ptr(X(base), offset));
  }
  void EmitCallRegister(uint8_t target) override { a_.blr(a64::x(target)); }
  // movz / movk x16, then blr x16.
  void EmitCallAbsolute(uint64_t address) override {
    a_.movz(a64::x16, Imm(address & 0xffff));
    for (int k = 1; k < 4; ++k) {
      a_.movk(a64::x16, Imm((address >> (16 * k)) & 0xffff), Imm(16 * k));
    }
    a_.blr(a64::x16);
  }

  asmjit::CodeHolder& code() override { return code_; }

 private:
  asmjit::CodeHolder code_;
  a64::Assembler a_;
};

}  // namespace

std::unique_ptr<Emitter> NewEmitter() {
  return std::make_unique<Aarch64Emitter>();
}

}  // namespace kiln::trampolines
