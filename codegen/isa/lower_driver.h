// The ISA-neutral lowering driver: IR -> VCode over virtual registers.
// It owns what every ISA's instruction selection needs the same way --
// block order, the value -> vreg mapping (register class from the ABI
// object), constant rematerialization per block, use counts, block
// parameters, source locations -- and calls the ISA's LowerBackend for
// block parameters, source locations, and the calling convention: the
// entry block's arguments, calls, tail calls and returns are placed here
// from the ABI object -- and calls the ISA's LowerBackend for the rest:
// fusion decisions, constants' instructions, each other instruction, and
// the few machine instructions placement needs (LowerBackend's "ABI
// placement" hooks).
//
// x86-64: x64/lower.cc, AArch64: aarch64/lower.cc (class Lowerer
// implements LowerBackend).
#ifndef KILN_CODEGEN_ISA_LOWER_DRIVER_H_
#define KILN_CODEGEN_ISA_LOWER_DRIVER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "codegen/ir/function.h"
#include "codegen/isa/abi.h"
#include "codegen/isa/reg.h"
#include "codegen/isa/vcode.h"

namespace kiln::isa {

// Where a frame access is relative to: the incoming stack arguments (above
// the frame pointer) or the outgoing call area (at the stack pointer).
enum class FrameArea : uint8_t { kIncomingArgs, kOutgoingArgs };

// The callee of a call: a known function (a wasm function or a runtime
// builtin, through a relocation) or a register (call_indirect).
struct CallDest {
  bool known = true;
  bool builtin = false;  // known: a runtime builtin, not a wasm function
  uint32_t index = 0;    // known: function index or builtin id
  VReg target = kInvalidVReg;  // !known: the callee address
  // Stack-argument bytes the callee pops when it returns (Abi::
  // CalleePoppedBytes; 0 for builtins, which are C functions).
  int32_t popped_bytes = 0;
};

// What an ISA implements; the driver calls it in this order: Analyze once,
// then per block (in layout order; the entry block first gets its
// arguments placed, then FinishInst) BeforeInst, then the driver's own
// call / return placement or LowerInst, then FinishInst, for every
// instruction that is not a constant and not Skip()ped.
class LowerBackend {
 public:
  virtual ~LowerBackend() = default;
  // Use counts are final: decide sinking / folding / dead code.
  virtual void Analyze() {}
  // True when `inst` emits no code of its own (sunk into a user, dead).
  virtual bool Skip(ir::Inst inst) const { return false; }
  // True when `inst` is dead: never lowered, so its operands are not read
  // (Skip is also true for an instruction sunk into a user, whose operands
  // the user reads).
  virtual bool IsDead(ir::Inst inst) const { return false; }
  // Right before an instruction is lowered (e.g. materialize operand
  // constants first).
  virtual void BeforeInst(ir::Inst inst) {}
  // Every instruction but calls and returns (the driver places those).
  virtual absl::Status LowerInst(ir::Inst inst) = 0;
  // After each lowered instruction and after the entry's arguments (e.g.
  // record the source location of the machine instructions just added).
  virtual void FinishInst() {}
  // Loads constant `bits` (iconst / f32const / f64const of type `type`)
  // into `dst` in the current block.
  virtual void MaterializeConst(VReg dst, ir::Type type, int64_t bits) = 0;
  // Whether f32/f64 constants used inside a loop are materialized once
  // before the loop nest instead of in each block that uses them (where
  // materializing takes more than one instruction, e.g. x86-64's
  // mov r, imm64 + movq xmm, r).
  virtual bool HoistLoopFloatConsts() const { return false; }
  // Whether, in a function with calls, the values a call-free loop nest
  // reads from outside get a copy made once before the nest (at the end
  // of the block dominating it) that the nest's blocks read instead: the
  // allocator can then keep the copy in a register through the loop while
  // the original, live across calls, is spilled outside it (live-range
  // splitting at loop boundaries). EmitCopy makes the copies.
  virtual bool SplitLoopLiveIns() const { return false; }
  virtual void EmitCopy(VReg src, VReg dst) {}

  // --- ABI placement: the machine instructions the driver's argument,
  // call and return placement asks for.
  // Whether `return_call` can reuse the caller's frame (ReturnCall below);
  // without it a tail call is a call and a return.
  virtual bool SupportsTailCalls() const { return false; }
  // Defines `defs` from the fixed registers `regs` at function entry.
  virtual void EmitArgs(absl::Span<const VReg> defs,
                        absl::Span<const PReg> regs) = 0;
  // dst = the low 32 bits of src, zero-extended (an i32 arriving in a
  // register whose upper half the convention leaves unspecified).
  virtual void EmitZeroExtendI32(VReg src, VReg dst) = 0;
  // Whether the machine code for `user` reads only the low 32 bits of its
  // i32 operand `arg` (so an entry argument or call result used only that
  // way, also through block parameters, needs no EmitZeroExtendI32). The
  // default keeps every zero-extension.
  virtual bool ReadsLow32Only(ir::Inst user, size_t arg) const { return false; }
  // dst = src for such an i32 that needs no zero-extension: a register
  // move the allocator coalesces away (it still splits the fixed argument
  // or result register from the value's own live range, as the
  // zero-extension did).
  virtual void EmitI32Copy(VReg src, VReg dst) { EmitZeroExtendI32(src, dst); }
  // dst = the `type` value at `disp` bytes into `area`.
  virtual void EmitFrameLoad(FrameArea area, int32_t disp, ir::Type type,
                             VReg dst) = 0;
  // The `type` value `src` to `disp` bytes into `area` (an i32 is stored
  // as an i64 stack slot: its upper half is zero).
  virtual void EmitFrameStore(FrameArea area, int32_t disp, ir::Type type,
                              VReg src) = 0;
  // dst = the address `disp` bytes into the outgoing call area.
  virtual void EmitOutgoingAddr(VReg dst, int32_t disp) = 0;
  // [base + disp] = the `type` value src (the multi-value return area).
  virtual void EmitStoreToPtr(VReg base, int32_t disp, ir::Type type,
                              VReg src) = 0;
  virtual void EmitCall(const CallDest& dest, absl::Span<const VReg> args,
                        absl::Span<const PReg> arg_regs,
                        absl::Span<const VReg> rets,
                        absl::Span<const PReg> ret_regs, RegSet clobbers) = 0;
  // Only with SupportsTailCalls(): tears the frame down and jumps.
  virtual void EmitReturnCall(const CallDest& dest,
                              absl::Span<const VReg> args,
                              absl::Span<const PReg> arg_regs) {}
  virtual void EmitRet(absl::Span<const VReg> vals,
                       absl::Span<const PReg> regs) = 0;
};

class LowerDriver {
 public:
  // `isa` names the ISA in errors ("x64 lowering of f: ...").
  LowerDriver(const ir::Function& f, VCode* vcode, const Abi& abi,
              absl::string_view isa);

  // Lowers the whole function into the VCode.
  absl::Status Run(LowerBackend& backend);

  // --- Queries for the ISA's instruction selection.
  const ir::Function& func() const { return f_; }
  const Abi& abi() const { return abi_; }
  // The vreg of `v`; constants are rematerialized in each block that uses
  // them (short live ranges instead of values live across the function).
  VReg V(ir::Value v);
  // The constant's vreg in the current block (materialized on first use).
  VReg ConstReg(ir::Value v);
  ir::Type T(ir::Value v) const { return f_.value_type(v); }
  RegClass ClassOf(ir::Type t) const;
  ir::Inst DefInst(ir::Value v) const;
  bool IsConstValue(ir::Value v) const;
  // The iconst value (i32 sign-extended) of `v`, if it is one.
  bool ConstOf(ir::Value v, int64_t* out) const;
  // Block order: VCode block index of an IR block, and the IR blocks in
  // VCode order.
  uint32_t vblock(ir::Block b) const { return vblock_[b.index]; }
  const std::vector<ir::Block>& order() const { return order_; }
  uint32_t cur_block() const { return cur_block_; }
  // Source location of the instruction being lowered (~0u: none).
  uint32_t cur_srcloc() const { return cur_srcloc_; }
  // Uses of each value (instruction operands and block-call arguments).
  const std::vector<uint32_t>& total_uses() const { return total_uses_; }
  // The multi-value return area's pointer (an extra last argument of a
  // function with more than one result).
  VReg ret_ptr() const { return ret_ptr_; }
  // Whether any value is a v128 (the backend then needs 16-byte spill
  // slots).
  bool UsesV128() const;
  // v128 arguments travel in vector registers only (stack argument slots
  // are 8 bytes; in a multi-value return area a v128 result takes 16 bytes,
  // abi::ReturnAreaOffsets): Unimplemented if this function's signature or
  // a callee's would put one on the stack.
  absl::Status CheckV128Arguments() const;

 private:
  void CountUses();
  // Fills upper_used_: the i32 values whose upper register half must be
  // zero for some use (LowerBackend::ReadsLow32Only says no, a block
  // parameter that needs it receives it, or it is a call or return
  // operand).
  void FindUpperUses();
  bool NeedsZeroExtend(ir::Value v) const {
    return upper_used_.empty() || upper_used_[v.index];
  }
  // Tail calls (ir::kCallIsTail calls followed by the return of their
  // results) become jumps that reuse the frame (tail_); the return then
  // emits nothing. Under a callee-pops convention every one does: the
  // incoming argument area grows (incoming_grow_) to the largest tail
  // callee's. Where the caller pops, only those whose stack arguments fit
  // in this function's own incoming area; the others stay a call and a
  // return (see docs/architecture.md, "Tail calls").
  void MarkTailCalls();
  // Plans hoisted loop constants (LowerBackend::HoistLoopFloatConsts) and
  // split loop live-ins (LowerBackend::SplitLoopLiveIns): for each block
  // in a call-free loop, the block dominating its outermost call-free loop,
  // the constants to materialize at that block's start and the values to
  // copy at its end.
  void PlanLoops(bool float_consts, bool split);
  void MaterializeHoistedConsts(ir::Block b);
  // Emits the copies of split_ that block b makes before its terminator.
  void EmitSplitCopies(ir::Block b);
  using HoistList = std::vector<std::pair<std::pair<uint32_t, uint32_t>, VReg>>;
  // The entry of `list` for (hoist block d, value v), or list.end().
  static HoistList::iterator FindHoisted(HoistList& list, uint32_t d, ir::Value v);
  // The first entry of `list` for hoist block b.
  static HoistList::iterator FirstHoisted(HoistList& list, ir::Block b);
  void LowerEntryArgs();
  absl::Status LowerCall(ir::Inst i);
  void LowerReturn(ir::Inst i);
  absl::Status Err(absl::string_view msg) const;

  const ir::Function& f_;
  VCode* vcode_;
  const Abi& abi_;
  absl::string_view isa_;
  LowerBackend* backend_ = nullptr;
  std::vector<ir::Block> order_;
  std::vector<uint32_t> vblock_;
  std::vector<VReg> value_vreg_;
  // 1 + the block where value_vreg_ holds the constant (0: none yet).
  std::vector<uint32_t> const_block_;
  std::vector<uint32_t> total_uses_;
  std::vector<uint8_t> upper_used_;  // per value (empty: all of them)
  uint32_t cur_block_ = 0;
  uint32_t cur_srcloc_ = ~0u;
  std::vector<uint8_t> tail_;  // per inst: a tail call / the return it makes dead
  // Bytes of incoming stack arguments this function pops at return (as
  // its caller passed them) and the bytes its prologue adds below them.
  int32_t own_popped_ = 0;
  int32_t incoming_grow_ = 0;
  VReg ret_ptr_ = kInvalidVReg;
  // Per IR block: the IR block index whose start holds this block's
  // hoisted loop constants (~0u: not in a loop).
  std::vector<uint32_t> hoist_block_;
  // (hoist block index, constant value index) -> vreg; kInvalidVReg until
  // the hoist block is lowered. Sorted by key (few entries).
  HoistList hoisted_;
  // (hoist block index, value index) -> the copy the nest reads (vregs
  // made when planned; the copy is emitted at the end of the hoist block).
  HoistList split_;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_LOWER_DRIVER_H_
