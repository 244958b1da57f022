// x86-64 encoding of the trampolines' steps (codegen/trampolines/
// emitter.h; the sequence is in trampolines.cc). Frames: rbp-based, the
// array call saves rbx (the ValRaw array) and r12 (the target) below it.
#include <asmjit/x86.h>

#include <memory>

#include "codegen/trampolines/emitter.h"
#include "runtime/abi/x64/call_conv.h"

namespace kiln::trampolines {
namespace {

namespace ax = asmjit::x86;
using wasm::ValType;

// The instruction (it loads and stores alike) and register operand that
// move `type`'s width.
struct Access {
  asmjit::InstId inst;
  asmjit::Operand reg;
};
Access AccessFor(ValType type, uint8_t reg) {
  switch (type) {
    case ValType::kF32:
      return {ax::Inst::kIdMovss, ax::xmm(reg)};
    case ValType::kF64:
      return {ax::Inst::kIdMovsd, ax::xmm(reg)};
    case ValType::kV128:
      return {ax::Inst::kIdMovdqu, ax::xmm(reg)};
    case ValType::kI32:
      return {ax::Inst::kIdMov, ax::gpd(reg)};
    default:
      return {ax::Inst::kIdMov, ax::gpq(reg)};
  }
}

class X64Emitter final : public Emitter {
 public:
  X64Emitter() {
    code_.init(asmjit::Environment::host());
    code_.attach(&a_);
  }

  // rax is neither an argument register nor callee-saved; rcx and xmm0
  // are argument registers, free after the call.
  Regs regs() const override {
    return {abi::x64::kRbx, abi::x64::kR12, abi::x64::kRax, abi::x64::kRcx, 0};
  }
  int32_t max_frame_bytes() const override { return INT32_MAX; }

  void EmitArrayCallPrologue() override {
    a_.push(ax::rbp);
    a_.mov(ax::rbp, ax::rsp);
    a_.push(ax::rbx);
    a_.push(ax::r12);  // rsp is 16-byte aligned again
  }
  void EmitArrayCallEpilogue() override {
    a_.lea(ax::rsp, ax::ptr(ax::rbp, -16));
    a_.pop(ax::r12);
    a_.pop(ax::rbx);
    a_.pop(ax::rbp);
    a_.ret();
  }
  void EmitFrameRecord() override {
    a_.push(ax::rbp);
    a_.mov(ax::rbp, ax::rsp);
  }
  void EmitFrameRecordEpilogue(int32_t popped_bytes) override {
    a_.leave();
    if (popped_bytes > 0) {
      a_.ret(popped_bytes);
    } else {
      a_.ret();
    }
  }

  void EmitAllocStack(int32_t bytes) override { a_.sub(ax::rsp, bytes); }
  void EmitMove(uint8_t dst, uint8_t src) override {
    a_.mov(ax::gpq(dst), ax::gpq(src));
  }
  void EmitStackAddress(uint8_t dst, int32_t offset) override {
    a_.lea(ax::gpq(dst), ax::ptr(ax::rsp, offset));
  }
  void EmitLoad(ValType type, uint8_t reg, uint8_t base,
                int32_t offset) override {
    const Access acc = AccessFor(type, reg);
    a_.emit(acc.inst, acc.reg, ax::ptr(ax::gpq(base), offset));
  }
  void EmitStore(ValType type, uint8_t reg, uint8_t base,
                 int32_t offset) override {
    const Access acc = AccessFor(type, reg);
    a_.emit(acc.inst, ax::ptr(ax::gpq(base), offset), acc.reg);
  }
  void EmitCallRegister(uint8_t target) override { a_.call(ax::gpq(target)); }
  void EmitCallAbsolute(uint64_t address) override {
    a_.mov(ax::rax, address);
    a_.call(ax::rax);
  }

  asmjit::CodeHolder& code() override { return code_; }

 private:
  asmjit::CodeHolder code_;
  ax::Assembler a_;
};

}  // namespace

std::unique_ptr<Emitter> NewEmitter() { return std::make_unique<X64Emitter>(); }

}  // namespace kiln::trampolines
