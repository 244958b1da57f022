// x86-64 encoding of the entry trampolines' steps (entry_emitter.h; the
// sequence is in runtime/traps/entry_trampolines.cc). The frame every
// entry trampoline builds is:
//   [rbp] caller rbp, rbp-8..-40 the callee-saved rbx r12 r13 r14 r15,
//   rbp-48 the EntryFrame*; entry_sp = rbp - 48 (16-byte aligned).
#include <asmjit/x86.h>

#include <memory>

#include "runtime/abi/x64/call_conv.h"
#include "runtime/traps/entry_emitter.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "x64/entry_emitter_x64.cc is for x86-64 Linux"
#endif

namespace kiln::runtime::internal {
namespace {

namespace ax = asmjit::x86;
using Conv = abi::x64::CallConv;

// Bytes from rbp down to entry_sp: the callee-saved registers and the
// EntryFrame*.
constexpr int32_t kEntryFrameBytes =
    8 * (static_cast<int32_t>(sizeof(Conv::kCalleeSavedGprs)) + 1);
static_assert(kEntryFrameBytes % 16 == 0);

class X64EntryEmitter final : public EntryEmitter {
 public:
  explicit X64EntryEmitter(asmjit::CodeHolder* code) : a_(code) {}

  asmjit::BaseAssembler& assembler() override { return a_; }
  // r11 is neither an argument nor a result register.
  Regs regs() const override {
    return {abi::x64::kR13, abi::x64::kR12, abi::x64::kR11};
  }
  int32_t frame_bytes() const override { return kEntryFrameBytes; }

  void EmitFrameSetup(uint8_t frame) override {
    a_.push(ax::rbp);
    a_.mov(ax::rbp, ax::rsp);
    for (uint8_t r : Conv::kCalleeSavedGprs) a_.push(ax::gpq(r));
    a_.push(ax::gpq(frame));
  }
  void EmitFrameTeardown() override {
    a_.add(ax::rsp, 8);  // rsp = entry_sp on the way in
    for (int i = static_cast<int>(sizeof(Conv::kCalleeSavedGprs)) - 1; i >= 0;
         --i) {
      a_.pop(ax::gpq(Conv::kCalleeSavedGprs[i]));
    }
    a_.pop(ax::rbp);
    a_.ret();
  }

  void EmitMove(uint8_t dst, uint8_t src) override {
    a_.mov(ax::gpq(dst), ax::gpq(src));
  }
  void EmitLoad(uint8_t dst, uint8_t base, int32_t offset) override {
    a_.mov(ax::gpq(dst), ax::ptr(ax::gpq(base), offset));
  }
  void EmitStore(uint8_t src, uint8_t base, int32_t offset) override {
    a_.mov(ax::ptr(ax::gpq(base), offset), ax::gpq(src));
  }
  void EmitLoadFloat(uint8_t dst, uint8_t base, int32_t offset) override {
    a_.movq(ax::xmm(dst), ax::ptr(ax::gpq(base), offset));
  }
  void EmitStoreVector(uint8_t src, uint8_t base, int32_t offset) override {
    a_.movdqu(ax::ptr(ax::gpq(base), offset), ax::xmm(src));
  }
  void EmitSetInt32(uint8_t dst, int32_t value) override {
    if (value == 0) {
      a_.xor_(ax::gpd(dst), ax::gpd(dst));
    } else {
      a_.mov(ax::gpd(dst), value);
    }
  }

  // rcx = n, rax = index, rsi = source, rdx = the slot in flight: all
  // argument registers, loaded only after the copy.
  void EmitCopyStackArgs(uint8_t call, int32_t count_offset,
                         int32_t slots_offset) override {
    const ax::Gp c = ax::gpq(call);
    asmjit::Label loop = a_.newLabel();
    asmjit::Label done = a_.newLabel();
    a_.mov(ax::rcx, ax::ptr(c, count_offset));
    a_.lea(ax::rax, ax::ptr(ax::rcx, ax::rcx, 0));  // rax = round_up(8 * n, 16)
    a_.shl(ax::rax, 2);
    a_.add(ax::rax, 15);
    a_.and_(ax::rax, -16);
    a_.sub(ax::rsp, ax::rax);
    a_.mov(ax::rsi, ax::ptr(c, slots_offset));
    a_.xor_(ax::eax, ax::eax);
    a_.bind(loop);
    a_.cmp(ax::rax, ax::rcx);
    a_.jae(done);
    a_.mov(ax::rdx, ax::ptr(ax::rsi, ax::rax, 3));
    a_.mov(ax::ptr(ax::rsp, ax::rax, 3), ax::rdx);
    a_.inc(ax::rax);
    a_.jmp(loop);
    a_.bind(done);
  }
  void EmitAllocStack(int32_t bytes) override { a_.sub(ax::rsp, bytes); }
  void EmitStackFromFramePointer(int32_t bytes) override {
    a_.lea(ax::rsp, ax::ptr(ax::rbp, -bytes));
  }

  void EmitCallMemory(uint8_t base, int32_t offset) override {
    a_.call(ax::ptr(ax::gpq(base), offset));
  }
  // rax: a result register, no argument register.
  void EmitLoadTarget(uint8_t base, int32_t offset) override {
    a_.mov(ax::rax, ax::ptr(ax::gpq(base), offset));
  }
  void EmitCallTarget() override { a_.call(ax::rax); }
  void EmitJump(const asmjit::Label& label) override { a_.jmp(label); }

 private:
  ax::Assembler a_;
};

}  // namespace

std::unique_ptr<EntryEmitter> NewEntryEmitter(asmjit::CodeHolder* code) {
  return std::make_unique<X64EntryEmitter>(code);
}

}  // namespace kiln::runtime::internal
