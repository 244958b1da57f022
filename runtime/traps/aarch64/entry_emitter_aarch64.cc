// AArch64 encoding of the entry trampolines' steps (entry_emitter.h; the
// sequence is in runtime/traps/entry_trampolines.cc). The frame every
// entry trampoline builds is:
//   [x29] caller x29, [x29 + 8] x30 (a frame record, like compiled code's),
//   [x29 - 160 ...] = entry_sp: x19..x28 at entry_sp + 0..72, d8..d15 at
//   entry_sp + 80..136 (AAPCS64 callee-saved: host frames unwound by a trap
//   may have changed them), the EntryFrame* at entry_sp + 144.
// Everything after the call is addressed from sp, so the trap landing (sp =
// entry_sp, any x29) restores the registers the same way a return does.
// Debian's asmjit/arm.h does not pull AArch64 in on an x86 host.
#include <asmjit/arm/a64assembler.h>

#include <memory>

#include "runtime/abi/aarch64/call_conv.h"
#include "runtime/traps/entry_emitter.h"

#if !defined(__aarch64__) || !defined(__linux__)
#error "aarch64/entry_emitter_aarch64.cc is for AArch64 Linux"
#endif

namespace kiln::runtime::internal {
namespace {

namespace a64 = asmjit::a64;
using asmjit::Imm;
using Conv = abi::aarch64::CallConv;

constexpr int kNumGprs = sizeof(Conv::kCalleeSavedGprs);
constexpr int kNumFprs = sizeof(Conv::kCalleeSavedFprs);
constexpr int32_t kFprBase = 8 * kNumGprs;
constexpr int32_t kFrameSlot = kFprBase + 8 * kNumFprs;
// Bytes from x29 down to entry_sp.
constexpr int32_t kEntryFrameBytes = (kFrameSlot + 8 + 15) & ~15;
static_assert(kEntryFrameBytes == 160);

// x16 / x17 (the intra-procedure-call scratch registers) are no argument
// registers: the call target and the slot in flight.
constexpr uint8_t kTarget = 16;
constexpr uint8_t kScratch = 17;

// Register 31 is sp here (every use below is one where sp is allowed).
a64::GpX X(uint8_t r) { return r == Conv::kStackPointer ? a64::sp : a64::x(r); }

class Aarch64EntryEmitter final : public EntryEmitter {
 public:
  explicit Aarch64EntryEmitter(asmjit::CodeHolder* code) : a_(code) {}

  asmjit::BaseAssembler& assembler() override { return a_; }
  Regs regs() const override { return {19, 20, kScratch}; }
  int32_t frame_bytes() const override { return kEntryFrameBytes; }

  void EmitFrameSetup(uint8_t frame) override {
    a_.stp(a64::x29, a64::x30, a64::ptr_pre(a64::sp, -16));
    a_.mov(a64::x29, a64::sp);
    a_.sub(a64::sp, a64::sp, Imm(kEntryFrameBytes));
    for (int k = 0; k < kNumGprs; ++k) {
      a_.str(a64::x(Conv::kCalleeSavedGprs[k]), a64::ptr(a64::sp, 8 * k));
    }
    for (int k = 0; k < kNumFprs; ++k) {
      a_.str(a64::d(Conv::kCalleeSavedFprs[k]),
             a64::ptr(a64::sp, kFprBase + 8 * k));
    }
    a_.str(a64::x(frame), a64::ptr(a64::sp, kFrameSlot));
  }
  void EmitFrameTeardown() override {
    for (int k = 0; k < kNumGprs; ++k) {
      a_.ldr(a64::x(Conv::kCalleeSavedGprs[k]), a64::ptr(a64::sp, 8 * k));
    }
    for (int k = 0; k < kNumFprs; ++k) {
      a_.ldr(a64::d(Conv::kCalleeSavedFprs[k]),
             a64::ptr(a64::sp, kFprBase + 8 * k));
    }
    a_.add(a64::sp, a64::sp, Imm(kEntryFrameBytes));
    a_.ldp(a64::x29, a64::x30, a64::ptr_post(a64::sp, 16));
    a_.ret(a64::x30);
  }

  void EmitMove(uint8_t dst, uint8_t src) override { a_.mov(X(dst), X(src)); }
  void EmitLoad(uint8_t dst, uint8_t base, int32_t offset) override {
    a_.ldr(a64::x(dst), a64::ptr(X(base), offset));
  }
  // str cannot store sp itself: through x16.
  void EmitStore(uint8_t src, uint8_t base, int32_t offset) override {
    if (src == Conv::kStackPointer) {
      a_.mov(a64::x16, a64::sp);
      src = kTarget;
    }
    a_.str(a64::x(src), a64::ptr(X(base), offset));
  }
  void EmitLoadFloat(uint8_t dst, uint8_t base, int32_t offset) override {
    a_.ldr(a64::d(dst), a64::ptr(X(base), offset));
  }
  void EmitStoreVector(uint8_t src, uint8_t base, int32_t offset) override {
    a_.str(a64::v(src), a64::ptr(X(base), offset));
  }
  void EmitSetInt32(uint8_t dst, int32_t value) override {
    a_.mov(a64::w(dst), Imm(value));
  }

  // x9 = n, x10 = bytes, x11 = destination, x12 = source, x13 = the slot
  // in flight (temporaries of AAPCS64).
  void EmitCopyStackArgs(uint8_t call, int32_t count_offset,
                         int32_t slots_offset) override {
    asmjit::Label loop = a_.newLabel();
    asmjit::Label done = a_.newLabel();
    a_.ldr(a64::x9, a64::ptr(a64::x(call), count_offset));
    a_.lsl(a64::x10, a64::x9, Imm(3));
    a_.add(a64::x10, a64::x10, Imm(15));
    a_.and_(a64::x10, a64::x10, Imm(~uint64_t{15}));
    a_.mov(a64::x11, a64::sp);
    a_.sub(a64::x11, a64::x11, a64::x10);
    a_.mov(a64::sp, a64::x11);
    a_.ldr(a64::x12, a64::ptr(a64::x(call), slots_offset));
    a_.bind(loop);
    a_.cbz(a64::x9, done);
    a_.ldr(a64::x13, a64::ptr_post(a64::x12, 8));
    a_.str(a64::x13, a64::ptr_post(a64::x11, 8));
    a_.sub(a64::x9, a64::x9, Imm(1));
    a_.b(loop);
    a_.bind(done);
  }
  void EmitAllocStack(int32_t bytes) override {
    a_.sub(a64::sp, a64::sp, Imm(bytes));
  }
  void EmitStackFromFramePointer(int32_t bytes) override {
    a_.sub(a64::sp, a64::x29, Imm(bytes));
  }

  void EmitCallMemory(uint8_t base, int32_t offset) override {
    EmitLoadTarget(base, offset);
    EmitCallTarget();
  }
  void EmitLoadTarget(uint8_t base, int32_t offset) override {
    a_.ldr(a64::x(kTarget), a64::ptr(X(base), offset));
  }
  void EmitCallTarget() override { a_.blr(a64::x(kTarget)); }
  void EmitJump(const asmjit::Label& label) override { a_.b(label); }

 private:
  a64::Assembler a_;
};

}  // namespace

std::unique_ptr<EntryEmitter> NewEntryEmitter(asmjit::CodeHolder* code) {
  return std::make_unique<Aarch64EntryEmitter>(code);
}

}  // namespace kiln::runtime::internal
