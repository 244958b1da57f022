#include "codegen/opt/licm.h"

#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/loops.h"
#include "codegen/opt/alias.h"
#include "codegen/opt/strength_reduce.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {
namespace {

using ir::Block;
using ir::Inst;
using ir::Value;

// The edges into loop header `h` from outside its loop.
std::vector<ir::BlockPredecessor> OutsidePreds(const ir::ControlFlowGraph& cfg,
                                               const ir::DominatorTree& dt,
                                               Block h) {
  std::vector<ir::BlockPredecessor> out;
  for (const ir::BlockPredecessor& p : cfg.preds(h)) {
    if (dt.IsReachable(p.block) && !dt.Dominates(h, p.block)) out.push_back(p);
  }
  return out;
}

// A preheader this pass created, and the branches it took over.
struct NewPreheader {
  Block block;
  Block header;
  std::vector<Inst> branches;
};

// Makes sure `h` has a preheader; records it in *created if it is new.
// Edges from outside the loop are redirected to a new block with h's
// parameter types that passes them on.
void EnsurePreheader(ir::Function& f, const ir::ControlFlowGraph& cfg,
                     const ir::DominatorTree& dt, Block h,
                     std::vector<NewPreheader>* created) {
  const std::vector<ir::BlockPredecessor> outside = OutsidePreds(cfg, dt, h);
  if (outside.size() == 1 && f.opcode(outside[0].inst) == ir::Opcode::kJump) {
    return;
  }
  Block pre = f.CreateBlock();
  std::vector<ir::Type> types;
  for (Value v : f.block_params(h)) types.push_back(f.value_type(v));
  std::vector<Value> params;
  for (ir::Type t : types) params.push_back(f.AppendBlockParam(pre, t));
  const ir::BlockCallSpec target{h, params};
  Inst jump = f.CreateInst(ir::Opcode::kJump, ir::Type::kInvalid, {},
                           absl::MakeConstSpan(&target, 1));
  f.AppendInst(pre, jump);
  f.InsertBlockAfter(f.prev_block(h), pre);
  NewPreheader np{pre, h, {}};
  for (const ir::BlockPredecessor& p : outside) {
    for (ir::BlockCall& bc : f.mutable_block_calls(p.inst)) {
      if (bc.block == h) bc.block = pre;
    }
    np.branches.push_back(p.inst);
  }
  created->push_back(std::move(np));
}

// Removes the created preheaders that received nothing: the branches go to
// the header again. An empty block with parameters would only cost the
// register allocator a second set of copies on the way into the loop.
void RemoveEmptyPreheaders(ir::Function& f,
                           const std::vector<NewPreheader>& created) {
  for (const NewPreheader& np : created) {
    if (f.first_inst(np.block) != f.last_inst(np.block)) continue;
    // Strength reduction may have added an argument (a derived IV's start)
    // without an instruction: then the block stays.
    const Inst jump = f.last_inst(np.block);
    if (f.block_calls(jump)[0].args.size != f.block_params(np.block).size()) {
      continue;
    }
    for (Inst br : np.branches) {
      for (ir::BlockCall& bc : f.mutable_block_calls(br)) {
        if (bc.block == np.block) bc.block = np.header;
      }
    }
    f.RemoveBlock(np.block);
  }
}

class LoopHoister {
 public:
  LoopHoister(ir::Function& f, const ir::ControlFlowGraph& cfg,
              const ir::DominatorTree& dt)
      : f_(f), cfg_(cfg), dt_(dt), stamp_(f.num_blocks(), 0) {}

  // Hoists out of `loop` into its preheader; returns whether anything moved.
  bool Run(const ir::Loop& loop, Block preheader) {
    ++mark_;
    // Regions written by calls and stores without a region (or by too many
    // stores to list), and the stores known precisely.
    uint8_t written = 0;
    stores_.clear();
    for (Block b : loop.blocks) {
      stamp_[b.index] = mark_;
      for (Inst i : f_.insts(b)) {
        const uint8_t w = WrittenRegions(f_, i);
        if (w == 0) continue;
        MemAccess m;
        if (ir::IsCall(f_.opcode(i)) || !DescribeAccess(f_, i, &m) ||
            m.region == kRegionOther || stores_.size() >= kMaxStores) {
          written |= w;
        } else {
          stores_.push_back(m);
        }
      }
    }
    const Inst dest = f_.last_inst(preheader);
    bool changed = false;
    for (Block b : loop.blocks) {
      // Only from blocks that run in every iteration: code of a block that
      // runs only sometimes (a cold call_indirect slow path) would run
      // every time the loop is entered and hold a register across the
      // loop for nothing (our allocator does not split live ranges).
      if (!RunsEveryIteration(loop, b)) continue;
      bool guaranteed = b == loop.header;
      for (Inst i = f_.first_inst(b); i.valid();) {
        const Inst next = f_.next_inst(i);
        if (Hoistable(i, written, guaranteed)) {
          // Constants move only with a user: on their own they gain
          // nothing (the backends rematerialize them in each block).
          for (Value a : f_.args(i)) {
            if (DefinedInLoop(a)) {
              const Inst c = f_.DefiningInst(a);
              f_.RemoveInst(c);
              f_.InsertInstBefore(dest, c);
            }
          }
          f_.RemoveInst(i);
          f_.InsertInstBefore(dest, i);
          changed = true;
        } else if (ir::GetOpcodeInfo(f_.opcode(i)).flags &
                   (ir::kCanTrap | ir::kSideEffects)) {
          guaranteed = false;
        }
        i = next;
      }
    }
    return changed;
  }

 private:
  // Whether `b` dominates every back edge's source.
  bool RunsEveryIteration(const ir::Loop& loop, Block b) const {
    if (b == loop.header) return true;
    for (const ir::BlockPredecessor& p : cfg_.preds(loop.header)) {
      if (stamp_[p.block.index] == mark_ && !dt_.Dominates(b, p.block)) {
        return false;
      }
    }
    return true;
  }

  bool DefinedInLoop(Value v) const {
    const ir::ValueData& d = f_.value(v);
    const Block b = d.kind == ir::ValueDefKind::kParam
                        ? Block(d.def)
                        : f_.inst_block(Inst(d.def));
    return stamp_[b.index] == mark_;
  }

  // One-cycle integer operations stay in the loop. Wasm from an optimizing
  // compiler has had its invariants hoisted already; what is left of this
  // kind was left for register pressure, and our allocator does not split
  // live ranges: measured, hoisting these made code larger and no faster.
  // Compares also fuse with their branch or select in the backends.
  static bool IsCheap(ir::Opcode op) {
    switch (op) {
      case ir::Opcode::kIadd: case ir::Opcode::kIsub:
      case ir::Opcode::kBand: case ir::Opcode::kBor: case ir::Opcode::kBxor:
      case ir::Opcode::kIshl: case ir::Opcode::kUshr: case ir::Opcode::kSshr:
      case ir::Opcode::kRotl: case ir::Opcode::kRotr:
      case ir::Opcode::kIaddImm: case ir::Opcode::kBandImm:
      case ir::Opcode::kBorImm: case ir::Opcode::kBxorImm:
      case ir::Opcode::kIshlImm: case ir::Opcode::kUshrImm:
      case ir::Opcode::kSshrImm:
      case ir::Opcode::kSextend8: case ir::Opcode::kSextend16:
      case ir::Opcode::kSextend32:
      case ir::Opcode::kUextend: case ir::Opcode::kSextend:
      case ir::Opcode::kIreduce: case ir::Opcode::kBitcast:
      case ir::Opcode::kSelect:
      case ir::Opcode::kIcmp: case ir::Opcode::kFcmp:
        return true;
      default:
        return false;
    }
  }

  bool IsConstant(Inst i) const {
    if (!i.valid()) return false;
    const ir::Opcode op = f_.opcode(i);
    return op == ir::Opcode::kIconst || op == ir::Opcode::kF32const ||
           op == ir::Opcode::kF64const;
  }

  bool Hoistable(Inst i, uint8_t written, bool guaranteed) const {
    const ir::InstData& d = f_.inst(i);
    const uint8_t flags = ir::GetOpcodeInfo(d.opcode).flags;
    if (flags & (ir::kSideEffects | ir::kTerminator | ir::kCall)) return false;
    if (d.results.size == 0) return false;
    if (IsConstant(i) || IsCheap(d.opcode)) return false;
    for (Value a : f_.args(i)) {
      if (DefinedInLoop(a) && !IsConstant(f_.DefiningInst(a))) return false;
    }
    bool can_trap = flags & ir::kCanTrap;
    if (flags & ir::kReadsMemory) {
      MemAccess m;
      if (!DescribeAccess(f_, i, &m) || m.volatile_load) return false;
      if (m.region & written) return false;
      for (const MemAccess& st : stores_) {
        if (MayAlias(st, m)) return false;
      }
      if (d.opcode == ir::Opcode::kLoad && (d.code & ir::kMemNotrap)) {
        can_trap = false;
      }
    }
    return !can_trap || guaranteed;
  }

  // Beyond this many stores a loop's stores count by region only (keeps
  // the pass linear on huge loops).
  static constexpr size_t kMaxStores = 32;

  ir::Function& f_;
  const ir::ControlFlowGraph& cfg_;
  const ir::DominatorTree& dt_;
  std::vector<MemAccess> stores_;
  std::vector<uint32_t> stamp_;
  uint32_t mark_ = 0;
};

}  // namespace

bool LicmPass::Run(ir::Function& f) {
  if (!ir::MayHaveLoop(f)) return false;
  bool changed = RemoveUnreachableBlocks(f);
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  std::vector<NewPreheader> created;
  {
    // Preheaders first, for all loops: they only redirect edges into
    // headers, so the analyses stay valid for the other headers.
    ir::LoopAnalysis loops(f, cfg, dt);
    if (loops.loops().empty()) return changed;
    for (const ir::Loop& l : loops.loops()) {
      EnsurePreheader(f, cfg, dt, l.header, &created);
    }
    if (!created.empty()) {
      cfg.Compute(f);
      dt.Compute(f, cfg);
    }
  }
  ir::LoopAnalysis loops(f, cfg, dt);
  LoopHoister hoister(f, cfg, dt);
  bool hoisted = false;
  for (const ir::Loop& l : loops.loops()) {
    const std::vector<ir::BlockPredecessor> outside =
        OutsidePreds(cfg, dt, l.header);
    if (outside.size() != 1) continue;  // Not reached: every loop has one now.
    hoisted |= hoister.Run(l, outside[0].block);
  }
  // Hoisting moved instructions only: the analyses still hold. Derived IVs
  // start in the preheaders, which then stay.
  if (reduce_strength_) hoisted |= ReduceStrength(f, cfg, loops);
  RemoveEmptyPreheaders(f, created);
  return changed || hoisted;
}

}  // namespace kiln::opt
