// The ISA-neutral emission driver: walks allocated VCode and asks the
// ISA's EmitBackend for machine code. It owns what every ISA emits the
// same way -- the frame layout from the allocation, block order, the
// allocator's moves before and after each instruction, source locations,
// conditional branches with their edge moves (in line on the fall-through
// path or in out-of-line islands), the islands themselves, the trap
// islands -- over an EmitBuffer; the ISA encodes instructions, moves,
// jumps, the prologue and its trap instruction.
//
// x86-64: x64/emit.cc, AArch64: aarch64/emit.cc (class Emitter implements
// EmitBackend). AllocateRegisters runs the register allocator (and, with
// CompileContext::check_regalloc, its checker) for every ISA.
#ifndef KILN_CODEGEN_ISA_EMIT_DRIVER_H_
#define KILN_CODEGEN_ISA_EMIT_DRIVER_H_

#include <asmjit/core.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "codegen/isa/abi.h"
#include "codegen/isa/backend.h"
#include "codegen/isa/emit_buffer.h"
#include "codegen/isa/vcode.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::isa {

// Runs the register allocator over `vcode` with the ABI object's machine
// environment (and the allocation checker when ctx.check_regalloc); errors
// name function `name`.
absl::StatusOr<regalloc::Output> AllocateRegisters(const VCode& vcode,
                                                   absl::string_view name,
                                                   const Abi& abi,
                                                   const CompileContext& ctx);

// The sizes of a frame, from the allocation; where each part lives
// relative to the frame or stack pointer is the ISA's (see its emit.h).
struct FrameLayout {
  // Callee-saved integer registers the function uses (hardware numbers,
  // ascending); each takes 8 bytes.
  std::vector<int> saved;
  uint32_t csr_bytes = 0;
  uint32_t slot_bytes = 8;  // bytes per spill slot
  uint32_t spill_bytes = 0;
  uint32_t outgoing_bytes = 0;  // the calls' stack arguments and return areas
  // csr + spill + outgoing bytes rounded up to 16 (calls see an aligned
  // stack).
  uint32_t frame_size = 0;
};

// What an ISA's encoder implements; the driver calls CheckFrame, then
// EmitPrologue, then per instruction EmitInst with EmitMove for the
// allocator's moves around it, then the jumps and moves of the edge
// islands and one EmitTrapInst per used trap code.
class EmitBackend {
 public:
  virtual ~EmitBackend() = default;
  // Rejects frames the ISA cannot address.
  virtual absl::Status CheckFrame(const FrameLayout& frame) {
    return absl::OkStatus();
  }
  virtual void EmitPrologue() = 0;
  // A block's label was just bound: code may jump here, so whatever the
  // ISA knows about the machine state so far (x64: which value the flags
  // describe) no longer holds.
  virtual void StartBlock() {}
  // Instruction `i` of the VCode (in the driver's current block).
  virtual void EmitInst(uint32_t i) = 0;
  virtual void EmitMove(const regalloc::Move& m) = 0;
  // Unconditional jump.
  virtual void EmitJump(asmjit::Label target) = 0;
  // Jump when condition `cc` (the ISA's condition code) holds.
  virtual void EmitCondJump(uint8_t cc, asmjit::Label target) = 0;
  virtual uint8_t InvertCond(uint8_t cc) const = 0;
  // Whether a branch on `cc` whose taken edge falls through is better
  // emitted as one jump on the inverted condition (x64: not for the float
  // equalities, which take two flags either way).
  virtual bool CanInvertToFallThrough(uint8_t cc) const { return true; }
  // The instruction every trap island executes (x64: ud2).
  virtual void EmitTrapInst() = 0;
  // Whether VCode instruction `i` only sets the flags from registers (a
  // compare without a memory operand, no trap), so the driver may emit it
  // a second time: a loop's back-edge jump to a header made of just such
  // an instruction and its conditional branch becomes a copy of the two
  // (loop rotation: a bottom-tested loop without a taken jump back).
  virtual bool IsPlainCompare(uint32_t i) const { return false; }
};

class EmitDriver {
 public:
  // `srclocs`: the wasm offset of each VCode instruction (may be empty);
  // `slot_bytes`: bytes per spill slot.
  EmitDriver(const VCode& vcode, const std::vector<uint32_t>& srclocs,
             const regalloc::Output& ra, const Abi& abi, asmjit::Arch arch,
             uint32_t slot_bytes);

  EmitBuffer& buf() { return buf_; }
  const FrameLayout& frame() const { return frame_; }

  // Emits the function; `what` names it in errors ("x64 emit (f)").
  absl::StatusOr<CompiledFunction> Run(EmitBackend& backend,
                                       std::string_view what);

  // --- For the ISA's EmitInst: the current block's successor edges.
  uint32_t cur_block() const { return cur_block_; }
  // Where successor k's jump goes: its island (moves) or its block.
  asmjit::Label EdgeTarget(uint32_t k) const;
  bool HasEdgeMoves(uint32_t k) const;
  bool EdgeFallsThrough(uint32_t k) const;
  // An unconditional branch to successor 0 (nothing when it falls through).
  void EmitJumpTerminator();
  // A two-way branch: successor 0 when `cc` holds, else successor 1.
  void EmitCondBranch(uint8_t cc);

 private:
  // For a back-edge jump to block `t`: emits t's compare and branch here
  // instead, when t is just those (EmitBackend::IsPlainCompare) and has no
  // allocator moves inside. The copy's edges with moves go through their
  // out-of-line islands.
  bool TryRotateLoop(uint32_t t);
  // The copied branch of TryRotateLoop (cur_block_ is the header).
  void EmitRotatedBranch(uint8_t cc);

  const VCode& vc_;
  const std::vector<uint32_t>& srclocs_;
  const regalloc::Output& ra_;
  EmitBuffer buf_;
  FrameLayout frame_;
  EmitBackend* backend_ = nullptr;
  std::vector<uint8_t> edge_inline_;  // edge moves emitted on a fall-through path
  std::vector<uint8_t> island_needed_;  // an island a rotated copy jumps to
  uint32_t cur_block_ = 0;
  // The block placed after the code being emitted (cur_block_ + 1, except
  // while TryRotateLoop emits the header's branch at the end of the latch).
  uint32_t next_block_ = 1;
  uint32_t latch_ = 0;  // the latch of the rotation in progress
  bool rotating_ = false;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_EMIT_DRIVER_H_
