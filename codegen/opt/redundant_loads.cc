#include "codegen/opt/redundant_loads.h"

#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/opt/alias.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {
namespace {

using ir::Block;
using ir::Inst;
using ir::Value;

// A location whose current value is known.
struct Known {
  MemAccess access;
  Value value;
};

// At most this many known locations per program point (the oldest are
// forgotten) and this many blocks walked between a block and its immediate
// dominator: keeps the pass linear on huge functions.
constexpr size_t kMaxKnown = 32;
constexpr size_t kMaxWalk = 64;

class LoadEliminator {
 public:
  explicit LoadEliminator(ir::Function& f)
      : f_(f), cfg_(f), dt_(f, cfg_), written_(f.num_blocks(), 0),
        walk_stamp_(f.num_blocks(), 0), known_at_end_(f.num_blocks()),
        repl_(f.num_values()) {
    for (uint32_t k = 0; k < repl_.size(); ++k) repl_[k] = Value(k);
    for (Block b : dt_.rpo()) {
      for (Inst i : f.insts(b)) written_[b.index] |= WrittenRegions(f, i);
    }
  }

  bool Run() {
    bool changed = false;
    std::vector<Known> known;
    for (Block b : dt_.preorder()) {
      Inherit(b, &known);
      for (Inst i = f_.first_inst(b); i.valid();) {
        const Inst next = f_.next_inst(i);
        changed |= Visit(i, &known);
        i = next;
      }
      if (!dt_.children(b).empty()) known_at_end_[b.index] = known;
    }
    return changed;
  }

 private:
  // Sets *known to what holds on entry to `b`.
  void Inherit(Block b, std::vector<Known>* known) {
    known->clear();
    const Block d = dt_.idom(b);
    if (!d.valid() || known_at_end_[d.index].empty()) return;
    *known = known_at_end_[d.index];
    const uint8_t written = WrittenBetween(d, b);
    Forget(known, [&](const Known& k) { return k.access.region & written; });
  }

  // Regions written by blocks on paths from `d` (exclusive) to `b`
  // (inclusive only if `b` is on a cycle through them).
  uint8_t WrittenBetween(Block d, Block b) {
    ++walk_id_;
    walk_.clear();
    for (const ir::BlockPredecessor& p : cfg_.preds(b)) walk_.push_back(p.block);
    uint8_t written = 0;
    size_t visited = 0;
    while (!walk_.empty()) {
      const Block x = walk_.back();
      walk_.pop_back();
      if (x == d || walk_stamp_[x.index] == walk_id_ || !dt_.IsReachable(x)) {
        continue;
      }
      walk_stamp_[x.index] = walk_id_;
      if (++visited > kMaxWalk) return kAllRegions;
      written |= written_[x.index];
      for (const ir::BlockPredecessor& p : cfg_.preds(x)) walk_.push_back(p.block);
    }
    return written;
  }

  template <typename Pred>
  static void Forget(std::vector<Known>* known, Pred pred) {
    size_t out = 0;
    for (size_t k = 0; k < known->size(); ++k) {
      if (!pred((*known)[k])) (*known)[out++] = (*known)[k];
    }
    known->resize(out);
  }

  static void Remember(std::vector<Known>* known, const MemAccess& m, Value v) {
    if (known->size() >= kMaxKnown) known->erase(known->begin());
    known->push_back({m, v});
  }

  // Returns whether `i` was removed.
  bool Visit(Inst i, std::vector<Known>* known) {
    for (Value& a : f_.mutable_args(i)) a = repl_[a.index];
    for (ir::BlockCall& bc : f_.mutable_block_calls(i)) {
      for (Value& a : f_.List(bc.args)) a = repl_[a.index];
    }
    MemAccess m;
    if (!DescribeAccess(f_, i, &m)) {
      if (const uint8_t w = WrittenRegions(f_, i)) {
        Forget(known, [&](const Known& k) { return k.access.region & w; });
      }
      return false;
    }
    if (m.is_store) {
      Forget(known, [&](const Known& k) { return MayAlias(k.access, m); });
      // A shared memory's store is not forwarded (another thread may
      // overwrite it before our load).
      if (m.region != kRegionOther && !m.volatile_load) {
        Remember(known, m, f_.args(i)[0]);
      }
      return false;
    }
    if (m.volatile_load) return false;
    for (const Known& k : *known) {
      if (SameLocation(k.access, m)) {
        repl_[f_.first_result(i).index] = k.value;
        f_.RemoveInst(i);
        return true;
      }
    }
    Remember(known, m, f_.first_result(i));
    return false;
  }

  ir::Function& f_;
  ir::ControlFlowGraph cfg_;
  ir::DominatorTree dt_;
  std::vector<uint8_t> written_;  // Regions written per block.
  std::vector<uint32_t> walk_stamp_;
  uint32_t walk_id_ = 0;
  std::vector<Block> walk_;
  std::vector<std::vector<Known>> known_at_end_;
  std::vector<Value> repl_;
};

// Whether `f` has a load this pass could remove: one whose value may change
// (readonly ones are GVN's) and that is not volatile. Most functions have
// none, and this scan is much cheaper than the dominator tree.
bool HasCandidateLoad(const ir::Function& f) {
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      if (!ir::ReadsMemory(f.opcode(i))) continue;
      MemAccess m;
      if (DescribeAccess(f, i, &m) && !m.volatile_load &&
          m.region != kRegionNone) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bool RedundantLoadsPass::Run(ir::Function& f) {
  if (!HasCandidateLoad(f)) return false;
  bool changed = RemoveUnreachableBlocks(f);
  return LoadEliminator(f).Run() || changed;
}

}  // namespace kiln::opt
