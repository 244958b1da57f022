#include "codegen/regalloc/parallel_move.h"

namespace kiln::regalloc {

void SequentializeMoves(std::vector<Move>& moves, const isa::PReg scratch[2],
                        std::vector<Move>* out) {
  // Drop self moves.
  size_t n = 0;
  for (const Move& m : moves) {
    if (m.from != m.to) moves[n++] = m;
  }
  moves.resize(n);
  while (!moves.empty()) {
    bool progress = false;
    for (size_t i = 0; i < moves.size();) {
      bool blocked = false;
      for (size_t j = 0; j < moves.size(); ++j) {
        if (j != i && moves[j].from == moves[i].to) {
          blocked = true;
          break;
        }
      }
      if (blocked) {
        ++i;
        continue;
      }
      out->push_back(moves[i]);
      moves[i] = moves.back();
      moves.pop_back();
      progress = true;
    }
    if (progress) continue;
    // Every remaining destination is still to be read: a cycle. Save one
    // source in the scratch register and read it from there.
    const isa::Allocation saved = moves[0].from;
    const isa::Allocation tmp =
        isa::Allocation::Reg(scratch[static_cast<int>(moves[0].cls)]);
    out->push_back(Move{saved, tmp, moves[0].cls});
    for (Move& m : moves) {
      if (m.from == saved) m.from = tmp;
    }
  }
}

}  // namespace kiln::regalloc
