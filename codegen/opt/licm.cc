#include "codegen/opt/licm.h"

#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/loops.h"
#include "codegen/opt/alias.h"
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

// Makes sure `h` has a preheader; returns whether a block was created.
// Edges from outside the loop are redirected to a new block with h's
// parameter types that passes them on.
bool EnsurePreheader(ir::Function& f, const ir::ControlFlowGraph& cfg,
                     const ir::DominatorTree& dt, Block h) {
  const std::vector<ir::BlockPredecessor> outside = OutsidePreds(cfg, dt, h);
  if (outside.size() == 1 && f.opcode(outside[0].inst) == ir::Opcode::kJump) {
    return false;
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
  for (const ir::BlockPredecessor& p : outside) {
    for (ir::BlockCall& bc : f.mutable_block_calls(p.inst)) {
      if (bc.block == h) bc.block = pre;
    }
  }
  return true;
}

class LoopHoister {
 public:
  explicit LoopHoister(ir::Function& f)
      : f_(f), stamp_(f.num_blocks(), 0) {}

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
      bool guaranteed = b == loop.header;
      for (Inst i = f_.first_inst(b); i.valid();) {
        const Inst next = f_.next_inst(i);
        if (Hoistable(i, written, guaranteed)) {
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
  bool DefinedInLoop(Value v) const {
    const ir::ValueData& d = f_.value(v);
    const Block b = d.kind == ir::ValueDefKind::kParam
                        ? Block(d.def)
                        : f_.inst_block(Inst(d.def));
    return stamp_[b.index] == mark_;
  }

  bool Hoistable(Inst i, uint8_t written, bool guaranteed) const {
    const ir::InstData& d = f_.inst(i);
    const uint8_t flags = ir::GetOpcodeInfo(d.opcode).flags;
    if (flags & (ir::kSideEffects | ir::kTerminator | ir::kCall)) return false;
    if (d.results.size == 0) return false;
    for (Value a : f_.args(i)) {
      if (DefinedInLoop(a)) return false;
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
  std::vector<MemAccess> stores_;
  std::vector<uint32_t> stamp_;
  uint32_t mark_ = 0;
};

// Whether some branch goes to its own block or one before it in the
// layout. A cycle cannot only go forward, so without such a branch there is
// no loop; the check is much cheaper than the dominator tree.
bool MayHaveLoop(const ir::Function& f) {
  std::vector<uint8_t> seen(f.num_blocks(), 0);
  for (Block b : f.blocks()) {
    seen[b.index] = 1;
    const Inst t = f.last_inst(b);
    if (!t.valid()) continue;
    for (const ir::BlockCall& bc : f.block_calls(t)) {
      if (seen[bc.block.index]) return true;
    }
  }
  return false;
}

}  // namespace

bool LicmPass::Run(ir::Function& f) {
  if (!MayHaveLoop(f)) return false;
  bool changed = RemoveUnreachableBlocks(f);
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  {
    // Preheaders first, for all loops: they only redirect edges into
    // headers, so the analyses stay valid for the other headers.
    ir::LoopAnalysis loops(f, cfg, dt);
    if (loops.loops().empty()) return changed;
    bool created = false;
    for (const ir::Loop& l : loops.loops()) {
      created |= EnsurePreheader(f, cfg, dt, l.header);
    }
    if (created) {
      changed = true;
      cfg.Compute(f);
      dt.Compute(f, cfg);
    }
  }
  ir::LoopAnalysis loops(f, cfg, dt);
  LoopHoister hoister(f);
  for (const ir::Loop& l : loops.loops()) {
    const std::vector<ir::BlockPredecessor> outside =
        OutsidePreds(cfg, dt, l.header);
    if (outside.size() != 1) continue;  // Not reached: every loop has one now.
    changed |= hoister.Run(l, outside[0].block);
  }
  return changed;
}

}  // namespace kiln::opt
