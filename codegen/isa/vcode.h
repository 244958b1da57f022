// VCode: the ISA-neutral container of machine instructions over virtual
// registers, what lowering produces and the register allocator consumes.
//
// Shape:
//  * Blocks in layout order (block 0 is the entry). Each block has a range of
//    instructions (the last is its terminator), block parameters (vregs
//    defined on entry) and successor edges; each edge carries the vregs passed
//    to the successor's parameters. The allocator turns those into parallel
//    moves on the edge.
//  * Each instruction exposes its register operands as a contiguous range of
//    Operand records (use / def / mod=use+def tied, early or late position,
//    optional fixed physical register) plus a clobber set (calls). The ISA
//    keeps its own instruction payload in a vector indexed by the same
//    instruction index and names registers by operand slot, so the allocator
//    never looks at ISA instructions and emission reads the allocation of an
//    operand slot directly.
//  * Move instructions (flag kIsMove: operand 0 = source use, operand 1 =
//    destination def, same class) are hints for coalescing; the emitter drops
//    moves whose two allocations coincide. Flag kHintSame marks other
//    instructions with the same operand layout that work in place (e.g. a
//    zero-extending 32-bit mov): the allocator hints them the same way, but
//    they are always emitted.
//
// Positions: instruction i has an early point 2i (uses are read) and a late
// point 2i+1 (defs are written). An early def is written before the uses are
// read (used by multi-instruction sequences emitted for one MachInst).
// No safepoints / stack maps: wasm 2.0 without GC references needs none.
#ifndef KILN_CODEGEN_ISA_VCODE_H_
#define KILN_CODEGEN_ISA_VCODE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "codegen/isa/reg.h"

namespace kiln::isa {

enum class OperandKind : uint8_t { kUse, kDef, kMod };
enum class OperandPos : uint8_t { kEarly, kLate };

struct Operand {
  VReg vreg = kInvalidVReg;
  OperandKind kind = OperandKind::kUse;
  OperandPos pos = OperandPos::kEarly;
  int8_t fixed = -1;  // PReg index the operand must be in, or -1.

  static Operand Use(VReg v) { return {v, OperandKind::kUse, OperandPos::kEarly, -1}; }
  // A use that stays live through the instruction's defs (read late).
  static Operand LateUse(VReg v) { return {v, OperandKind::kUse, OperandPos::kLate, -1}; }
  static Operand Def(VReg v) { return {v, OperandKind::kDef, OperandPos::kLate, -1}; }
  // A def written before the uses are read: never shares a register with them.
  static Operand EarlyDef(VReg v) { return {v, OperandKind::kDef, OperandPos::kEarly, -1}; }
  static Operand Mod(VReg v) { return {v, OperandKind::kMod, OperandPos::kEarly, -1}; }
  Operand Fixed(PReg r) const {
    Operand o = *this;
    o.fixed = static_cast<int8_t>(r.index());
    return o;
  }
};

// Where the allocator put an operand or vreg: a physical register or a spill
// slot (8 bytes each, numbered from 0).
class Allocation {
 public:
  constexpr Allocation() = default;
  static constexpr Allocation Reg(PReg r) { return Allocation(kReg, r.index()); }
  static constexpr Allocation Stack(uint32_t slot) { return Allocation(kStack, slot); }
  constexpr bool is_none() const { return kind_ == kNone; }
  constexpr bool is_reg() const { return kind_ == kReg; }
  constexpr bool is_stack() const { return kind_ == kStack; }
  constexpr PReg reg() const { return PReg::FromIndex(static_cast<int>(index_)); }
  constexpr uint32_t slot() const { return index_; }
  friend constexpr bool operator==(Allocation a, Allocation b) {
    return a.kind_ == b.kind_ && a.index_ == b.index_;
  }
  friend constexpr bool operator!=(Allocation a, Allocation b) { return !(a == b); }
  std::string ToString() const;

 private:
  enum Kind : uint8_t { kNone, kReg, kStack };
  constexpr Allocation(Kind k, uint32_t i) : kind_(k), index_(i) {}
  Kind kind_ = kNone;
  uint32_t index_ = 0;
};

class VCode {
 public:
  enum InstFlags : uint16_t {
    kIsMove = 1 << 0,
    kIsTerminator = 1 << 1,
    kIsCall = 1 << 2,
    kHintSame = 1 << 3,
  };

  struct Block {
    uint32_t inst_begin = 0, inst_end = 0;
    uint32_t succ_begin = 0, succ_end = 0;
    uint32_t param_begin = 0, param_end = 0;
  };
  struct Edge {
    uint32_t block = 0;  // successor block
    uint32_t arg_begin = 0, arg_end = 0;
  };
  struct InstInfo {
    uint32_t op_begin = 0;
    uint16_t op_count = 0;
    uint16_t flags = 0;
    RegSet clobbers;
  };

  // --- building ---
  VReg NewVReg(RegClass cls) {
    vreg_class_.push_back(cls);
    return static_cast<VReg>(vreg_class_.size() - 1);
  }
  // Declares `n` blocks; they are filled in order with Start/EndBlock.
  void DeclareBlocks(uint32_t n) { blocks_.resize(n); pending_params_.resize(n); }
  uint32_t num_blocks() const { return static_cast<uint32_t>(blocks_.size()); }
  void AddBlockParam(uint32_t block, VReg v) { pending_params_[block].push_back(v); }
  // Blocks must be started in layout order 0, 1, 2, ...
  void StartBlock(uint32_t block);
  uint32_t AddInst(absl::Span<const Operand> ops, uint16_t flags = 0,
                   RegSet clobbers = RegSet());
  // Adds a successor edge to the block being built (in the terminator's
  // successor order) passing `args` to the successor's parameters.
  void AddEdge(uint32_t succ, absl::Span<const VReg> args);
  void EndBlock();

  // --- reading ---
  uint32_t num_vregs() const { return static_cast<uint32_t>(vreg_class_.size()); }
  RegClass vreg_class(VReg v) const { return vreg_class_[v]; }
  uint32_t num_insts() const { return static_cast<uint32_t>(insts_.size()); }
  const Block& block(uint32_t b) const { return blocks_[b]; }
  const InstInfo& inst(uint32_t i) const { return insts_[i]; }
  absl::Span<const Operand> operands(uint32_t i) const {
    return absl::MakeConstSpan(operands_.data() + insts_[i].op_begin, insts_[i].op_count);
  }
  const std::vector<Operand>& all_operands() const { return operands_; }
  absl::Span<const Edge> succs(uint32_t b) const {
    return absl::MakeConstSpan(edges_.data() + blocks_[b].succ_begin,
                               blocks_[b].succ_end - blocks_[b].succ_begin);
  }
  // Global edge index of block b's k-th successor.
  uint32_t edge_index(uint32_t b, uint32_t k) const { return blocks_[b].succ_begin + k; }
  uint32_t num_edges() const { return static_cast<uint32_t>(edges_.size()); }
  absl::Span<const VReg> edge_args(const Edge& e) const {
    return absl::MakeConstSpan(vreg_list_.data() + e.arg_begin, e.arg_end - e.arg_begin);
  }
  absl::Span<const VReg> params(uint32_t b) const {
    return absl::MakeConstSpan(vreg_list_.data() + blocks_[b].param_begin,
                               blocks_[b].param_end - blocks_[b].param_begin);
  }

  // Bytes of outgoing stack-argument area the calls in this function need.
  uint32_t outgoing_args_size = 0;
  // Under a callee-pops convention (Abi::CalleePoppedBytes): the bytes of
  // incoming stack-argument area this function pops when it returns, and
  // how many of them its prologue adds below the area its caller passed
  // (so that tail calls with more stack arguments fit; see LowerDriver::
  // MarkTailCalls).
  uint32_t incoming_args_size = 0;
  uint32_t incoming_args_grow = 0;

 private:
  std::vector<RegClass> vreg_class_;
  std::vector<Block> blocks_;
  std::vector<std::vector<VReg>> pending_params_;
  std::vector<InstInfo> insts_;
  std::vector<Operand> operands_;
  std::vector<Edge> edges_;
  std::vector<VReg> vreg_list_;  // block params and edge args
  uint32_t current_block_ = ~0u;
};

// Operands every ISA's builder gives the same shape.
// `vals[k]` used in fixed register `regs[k]` (a return's values).
std::vector<Operand> FixedUses(absl::Span<const VReg> vals,
                               absl::Span<const PReg> regs);
// A call's: the callee address (`callee`, kInvalidVReg for a known
// callee), the arguments in their registers, the results in theirs.
std::vector<Operand> CallOperands(VReg callee, absl::Span<const VReg> args,
                                  absl::Span<const PReg> arg_regs,
                                  absl::Span<const VReg> rets,
                                  absl::Span<const PReg> ret_regs);

// --- Printing (DumpVCode, `test compile ... vcode` filetests).
// One instruction: "name.size[.suffix] vA vB ... [#imm]".
std::string InstText(absl::string_view name, int size, absl::string_view suffix,
                     absl::Span<const Operand> ops, int64_t imm);
// The function: each block with its parameters, its instructions (one
// line each, formatted by `inst`), its edges with their arguments.
std::string PrintVCode(const VCode& vcode,
                       const std::function<std::string(uint32_t)>& inst);

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_VCODE_H_
