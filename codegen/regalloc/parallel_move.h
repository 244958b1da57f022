// Turns a set of parallel moves (all destinations distinct, conceptually
// executed at once) into a sequence of ordinary moves.
#ifndef KILN_CODEGEN_REGALLOC_PARALLEL_MOVE_H_
#define KILN_CODEGEN_REGALLOC_PARALLEL_MOVE_H_

#include <vector>

#include "codegen/isa/reg.h"
#include "codegen/isa/vcode.h"

namespace kiln::regalloc {

struct Move {
  isa::Allocation from;
  isa::Allocation to;
  isa::RegClass cls = isa::RegClass::kInt;
};

// Appends to `out` a sequence equivalent to the parallel move `moves`.
// Self moves are dropped. Cycles are broken by saving one value in
// scratch[class] (a register the allocator never hands out). The result may
// contain stack-to-stack moves; emitters must handle those without a
// register (x64: push [src]; pop [dst]). `moves` is used as work space.
void SequentializeMoves(std::vector<Move>& moves, const isa::PReg scratch[2],
                        std::vector<Move>* out);

}  // namespace kiln::regalloc

#endif  // KILN_CODEGEN_REGALLOC_PARALLEL_MOVE_H_
