// Kiln's register allocator: linear scan over live intervals (with lifetime
// holes) computed by liveness over the VCode CFG.
//
// Algorithm (one "pass"):
//  1. Liveness: per-block use/def bitsets, backward fixpoint to live-in/out.
//  2. Intervals: one range list per vreg at instruction-point granularity
//     (2i early, 2i+1 late). Branch args are uses at the terminator, block
//     params defs at block entry.
//  3. Fixed constraints become per-physical-register blocked ranges owned by
//     the constrained vreg (so that vreg may still live in that register);
//     call clobbers are blocked ranges at the call's late point, so values
//     live across a call land in callee-saved registers or are spilled.
//  4. Linear scan in start order. Preference: a fixed-register hint, then the
//     register of a move partner (coalescing), then the ISA's preference
//     order. With no free register, the interval with the lowest spill weight
//     (occurrences weighted 10^loop-depth / length) among the candidate and
//     the intervals occupying the cheapest register is spilled.
//  5. A spilled vreg gets a stack slot and is split into "region" vregs, one
//     per call-free stretch of a block that uses it: reloaded once before
//     the region's first use, stored once after the region's last def (the
//     slot is what calls, edges and later regions see). A region vreg that
//     spills again falls back to spill-everywhere: each operand becomes a
//     "tiny" vreg living only at that instruction (reload before, store
//     after). Tiny intervals are never spilled; the pass repeats until
//     nothing new spills (usually 2-3 passes).
//  6. Resolution: fixed-operand moves around instructions, reload/spill
//     edits, and block-parameter moves per CFG edge, sequentialized as
//     parallel moves with cycles broken through a reserved scratch register.
//     An edge's moves go before the terminator when the block has one
//     successor and an operand-free terminator (a jump); otherwise they are
//     returned per edge and the emitter places them in an out-of-line island.
#ifndef KILN_CODEGEN_REGALLOC_REGALLOC_H_
#define KILN_CODEGEN_REGALLOC_REGALLOC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/isa/reg.h"
#include "codegen/isa/vcode.h"
#include "codegen/regalloc/parallel_move.h"

namespace kiln::regalloc {

// What the ISA/ABI tells the allocator.
struct MachineEnv {
  // Allocatable registers per class, in preference order.
  std::vector<isa::PReg> allocatable[isa::kNumRegClasses];
  // One register per class never allocated, used to break move cycles.
  isa::PReg scratch[isa::kNumRegClasses];
  isa::RegSet callee_saved;
};

// A move inserted by the allocator. `pos` is 2*i (before instruction i) or
// 2*i+1 (after instruction i). Either side may be a stack slot; both may be
// (only in edge moves).
struct Edit {
  uint32_t pos = 0;
  Move move;
};

struct Output {
  std::vector<isa::Allocation> allocs;     // per operand (VCode operand index)
  // Home of each VCode vreg (none if it has no live range). Operands of
  // spilled vregs are rewritten to short-lived registers, so for an operand
  // use `allocs`; this is what block parameters and edge moves refer to.
  std::vector<isa::Allocation> vreg_locs;
  std::vector<Edit> edits;                 // ordered by pos, then execution order
  // Moves of edges that need an out-of-line island: edge e's moves are
  // edge_moves[edge_moves_begin[e] .. edge_moves_begin[e+1]).
  std::vector<uint32_t> edge_moves_begin;  // num_edges + 1
  std::vector<Move> edge_moves;
  uint32_t num_spill_slots = 0;
  isa::RegSet used_regs;  // every register written (for callee-saved saves)
  // Statistics.
  uint32_t num_spilled_vregs = 0;
  uint32_t num_passes = 0;

  absl::Span<const Move> EdgeMoves(uint32_t edge) const {
    return absl::MakeConstSpan(edge_moves.data() + edge_moves_begin[edge],
                               edge_moves_begin[edge + 1] - edge_moves_begin[edge]);
  }
};

absl::StatusOr<Output> Allocate(const isa::VCode& code, const MachineEnv& env);

// Symbolically executes the allocated program and checks that every use
// reads the value of its vreg, including across edges (block parameters).
// For tests and fuzzing.
absl::Status CheckAllocation(const isa::VCode& code, const MachineEnv& env,
                             const Output& out);

// Debug dump of a VCode with allocations (operands as "v3@r1").
std::string DumpAllocation(const isa::VCode& code, const Output& out);

}  // namespace kiln::regalloc

#endif  // KILN_CODEGEN_REGALLOC_REGALLOC_H_
