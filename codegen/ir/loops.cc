#include "codegen/ir/loops.h"

#include <algorithm>

namespace kiln::ir {

void LoopAnalysis::Compute(const Function& f, const ControlFlowGraph& cfg,
                           const DominatorTree& dt) {
  loops_.clear();
  is_header_.assign(f.num_blocks(), 0);
  std::vector<uint32_t> rpo_number(f.num_blocks(), 0);
  for (uint32_t k = 0; k < dt.rpo().size(); ++k) {
    rpo_number[dt.rpo()[k].index] = k;
  }
  // Blocks stamped with the index + 1 of the loop being collected.
  std::vector<uint32_t> stamp(f.num_blocks(), 0);
  std::vector<Block> work;
  for (Block h : dt.rpo()) {
    work.clear();
    for (const BlockPredecessor& p : cfg.preds(h)) {
      if (dt.Dominates(h, p.block)) work.push_back(p.block);
    }
    if (work.empty()) continue;
    is_header_[h.index] = 1;
    Loop loop;
    loop.header = h;
    const uint32_t mark = loops_.size() + 1;
    stamp[h.index] = mark;
    loop.blocks.push_back(h);
    while (!work.empty()) {
      Block b = work.back();
      work.pop_back();
      if (stamp[b.index] == mark) continue;
      stamp[b.index] = mark;
      loop.blocks.push_back(b);
      for (const BlockPredecessor& p : cfg.preds(b)) {
        // Unreachable predecessors are not part of any loop.
        if (stamp[p.block.index] != mark && dt.IsReachable(p.block)) {
          work.push_back(p.block);
        }
      }
    }
    std::sort(loop.blocks.begin(), loop.blocks.end(), [&](Block a, Block b) {
      return rpo_number[a.index] < rpo_number[b.index];
    });
    loops_.push_back(std::move(loop));
  }
  std::stable_sort(loops_.begin(), loops_.end(),
                   [](const Loop& a, const Loop& b) {
                     return a.blocks.size() < b.blocks.size();
                   });
}

bool MayHaveLoop(const Function& f) {
  std::vector<uint8_t> seen(f.num_blocks(), 0);
  for (Block b : f.blocks()) {
    seen[b.index] = 1;
    const Inst t = f.last_inst(b);
    if (!t.valid()) continue;
    for (const BlockCall& bc : f.block_calls(t)) {
      if (seen[bc.block.index]) return true;
    }
  }
  return false;
}

}  // namespace kiln::ir
