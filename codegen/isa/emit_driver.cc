#include "codegen/isa/emit_driver.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kiln::isa {

absl::StatusOr<regalloc::Output> AllocateRegisters(const VCode& vcode,
                                                   absl::string_view name,
                                                   const Abi& abi,
                                                   const CompileContext& ctx) {
  absl::StatusOr<regalloc::Output> ra =
      regalloc::Allocate(vcode, abi.machine_env());
  if (!ra.ok()) {
    return absl::Status(ra.status().code(),
                        absl::StrCat("compiling ", name, ": ",
                                     ra.status().message()));
  }
  if (ctx.check_regalloc) {
    if (absl::Status s =
            regalloc::CheckAllocation(vcode, abi.machine_env(), *ra);
        !s.ok()) {
      return absl::InternalError(absl::StrCat(
          "compiling ", name, ": register allocation checker: ", s.message()));
    }
  }
  return ra;
}

EmitDriver::EmitDriver(const VCode& vcode,
                       const std::vector<uint32_t>& srclocs,
                       const regalloc::Output& ra, const Abi& abi,
                       asmjit::Arch arch, uint32_t slot_bytes)
    : vc_(vcode), srclocs_(srclocs), ra_(ra), buf_(arch) {
  const RegSet used = ra.used_regs & abi.CalleeSaved();
  for (int r = 0; r < 32; ++r) {
    if (used.Contains(PReg::Int(r))) frame_.saved.push_back(r);
  }
  frame_.csr_bytes = 8 * static_cast<uint32_t>(frame_.saved.size());
  frame_.slot_bytes = slot_bytes;
  frame_.spill_bytes = slot_bytes * ra.num_spill_slots;
  frame_.outgoing_bytes = vcode.outgoing_args_size;
  const uint32_t total =
      frame_.csr_bytes + frame_.spill_bytes + frame_.outgoing_bytes;
  frame_.frame_size = (total + 15) & ~15u;
}

absl::StatusOr<CompiledFunction> EmitDriver::Run(EmitBackend& backend,
                                                 std::string_view what) {
  backend_ = &backend;
  if (absl::Status s = backend.CheckFrame(frame_); !s.ok()) return s;
  const uint32_t nb = vc_.num_blocks();
  buf_.DeclareLabels(vc_,
                     [this](uint32_t e) { return !ra_.EdgeMoves(e).empty(); });
  edge_inline_.assign(vc_.num_edges(), 0);
  island_needed_.assign(vc_.num_edges(), 0);
  backend.EmitPrologue();
  size_t edit = 0;
  for (uint32_t b = 0; b < nb; ++b) {
    cur_block_ = b;
    next_block_ = b + 1;
    buf_.BindBlock(b);
    backend.StartBlock();
    const VCode::Block& blk = vc_.block(b);
    for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
      while (edit < ra_.edits.size() && ra_.edits[edit].pos <= 2 * i) {
        backend.EmitMove(ra_.edits[edit++].move);
      }
      if (!srclocs_.empty()) buf_.MarkSourceLoc(srclocs_[i]);
      backend.EmitInst(i);
      while (edit < ra_.edits.size() && ra_.edits[edit].pos <= 2 * i + 1) {
        backend.EmitMove(ra_.edits[edit++].move);
      }
    }
  }
  // Out-of-line edge islands: the edge's moves, then a jump to its block.
  for (uint32_t b = 0; b < nb; ++b) {
    auto succs = vc_.succs(b);
    for (uint32_t k = 0; k < succs.size(); ++k) {
      const uint32_t e = vc_.edge_index(b, k);
      if (!buf_.edge_label(e).isValid() || (edge_inline_[e] && !island_needed_[e])) {
        continue;
      }
      buf_.Bind(buf_.edge_label(e));
      for (const regalloc::Move& m : ra_.EdgeMoves(e)) backend.EmitMove(m);
      backend.EmitJump(buf_.block_label(succs[k].block));
    }
  }
  // Trap islands, one per trap code.
  buf_.EmitTrapIslands([&backend] { backend.EmitTrapInst(); });
  return buf_.Finish(what, frame_.frame_size, ra_.num_spill_slots);
}

asmjit::Label EmitDriver::EdgeTarget(uint32_t k) const {
  const uint32_t e = vc_.edge_index(cur_block_, k);
  if (buf_.edge_label(e).isValid()) return buf_.edge_label(e);
  return buf_.block_label(vc_.succs(cur_block_)[k].block);
}

bool EmitDriver::HasEdgeMoves(uint32_t k) const {
  return buf_.edge_label(vc_.edge_index(cur_block_, k)).isValid();
}

bool EmitDriver::EdgeFallsThrough(uint32_t k) const {
  const uint32_t e = vc_.edge_index(cur_block_, k);
  return !buf_.edge_label(e).isValid() &&
         vc_.succs(cur_block_)[k].block == next_block_;
}

void EmitDriver::EmitJumpTerminator() {
  if (EdgeFallsThrough(0)) return;
  const uint32_t target = vc_.succs(cur_block_)[0].block;
  if (target <= cur_block_ && !rotating_ && !HasEdgeMoves(0) &&
      TryRotateLoop(target)) {
    return;
  }
  backend_->EmitJump(EdgeTarget(0));
}

bool EmitDriver::TryRotateLoop(uint32_t t) {
  const VCode::Block& blk = vc_.block(t);
  if (blk.inst_end - blk.inst_begin != 2 ||
      !backend_->IsPlainCompare(blk.inst_begin) || vc_.succs(t).size() != 2) {
    return false;
  }
  // No reload or other allocator move inside the header (edits are sorted
  // by position).
  auto it = std::lower_bound(
      ra_.edits.begin(), ra_.edits.end(), 2 * blk.inst_begin,
      [](const regalloc::Edit& e, uint32_t pos) { return e.pos < pos; });
  if (it != ra_.edits.end() && it->pos < 2 * blk.inst_end) return false;
  // The jump's own edge moves (if any) were placed before it, so the
  // registers hold what the header expects on entry.
  latch_ = cur_block_;
  next_block_ = cur_block_ + 1;
  cur_block_ = t;
  rotating_ = true;
  for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
    if (!srclocs_.empty()) buf_.MarkSourceLoc(srclocs_[i]);
    backend_->EmitInst(i);
  }
  rotating_ = false;
  cur_block_ = latch_;
  return true;
}

void EmitDriver::EmitRotatedBranch(uint8_t cc) {
  EmitBackend& be = *backend_;
  // Edges with moves jump to their islands (made even where the header's
  // own branch put the moves in line).
  auto target = [&](uint32_t k) {
    const uint32_t e = vc_.edge_index(cur_block_, k);
    if (buf_.edge_label(e).isValid()) island_needed_[e] = 1;
    return EdgeTarget(k);
  };
  if (EdgeFallsThrough(0) && be.CanInvertToFallThrough(cc)) {
    be.EmitCondJump(be.InvertCond(cc), target(1));
  } else if (EdgeFallsThrough(1)) {
    be.EmitCondJump(cc, target(0));
  } else if (vc_.succs(cur_block_)[1].block <= latch_ &&
             be.CanInvertToFallThrough(cc)) {
    // The loop continues on the not-taken edge: make it the taken one.
    be.EmitCondJump(be.InvertCond(cc), target(1));
    be.EmitJump(target(0));
  } else {
    be.EmitCondJump(cc, target(0));
    be.EmitJump(target(1));
  }
}

void EmitDriver::EmitCondBranch(uint8_t cc) {
  if (rotating_) {
    EmitRotatedBranch(cc);
    return;
  }
  EmitBackend& be = *backend_;
  const bool moves0 = HasEdgeMoves(0), moves1 = HasEdgeMoves(1);
  // A forward taken edge with moves next to a fall-through edge keeps its
  // out-of-line island (the fall-through path stays straight).
  const bool keep_island = !moves1 && moves0 && EdgeFallsThrough(1) &&
                           vc_.succs(cur_block_)[0].block > cur_block_;
  if ((moves0 || moves1) && !keep_island) {
    // Put one edge's moves on the fall-through path instead of an
    // out-of-line island: `jcc other; moves; jmp target`. Prefer the
    // not-taken edge; else invert the condition (a loop back edge then
    // costs one taken jump instead of two).
    const uint32_t inline_k = moves1 ? 1 : 0;
    const uint8_t to_other = inline_k == 1 ? cc : be.InvertCond(cc);
    be.EmitCondJump(to_other, EdgeTarget(1 - inline_k));
    const uint32_t e = vc_.edge_index(cur_block_, inline_k);
    for (const regalloc::Move& m : ra_.EdgeMoves(e)) be.EmitMove(m);
    edge_inline_[e] = 1;
    const uint32_t target = vc_.succs(cur_block_)[inline_k].block;
    if (target != cur_block_ + 1) be.EmitJump(buf_.block_label(target));
  } else if (EdgeFallsThrough(0) && be.CanInvertToFallThrough(cc)) {
    be.EmitCondJump(be.InvertCond(cc), EdgeTarget(1));
  } else {
    be.EmitCondJump(cc, EdgeTarget(0));
    if (!EdgeFallsThrough(1)) be.EmitJump(EdgeTarget(1));
  }
}

}  // namespace kiln::isa
