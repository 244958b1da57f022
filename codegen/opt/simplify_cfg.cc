#include "codegen/opt/simplify_cfg.h"

#include <algorithm>
#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/use_counts.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {

using ir::Block;
using ir::Inst;
using ir::Opcode;
using ir::Value;

namespace {

// The jump of a block that holds nothing else, or none.
Inst ForwardingJump(const ir::Function& f, Block b) {
  Inst first = f.first_inst(b);
  if (first.valid() && first == f.last_inst(b) &&
      f.opcode(first) == Opcode::kJump) {
    return first;
  }
  return Inst();
}

}  // namespace

bool SimplifyCfgPass::Run(ir::Function& f) {
  bool changed = false;
  const Block entry = f.entry_block();
  std::vector<Value> repl(f.num_values());
  for (uint32_t k = 0; k < repl.size(); ++k) repl[k] = Value(k);
  auto resolve = [&](Value v) {
    while (repl[v.index] != v) v = repl[v.index];
    return v;
  };

  // 1. brif with identical targets.
  for (Block b : f.blocks()) {
    Inst t = f.last_inst(b);
    if (!t.valid() || f.opcode(t) != Opcode::kBrif) continue;
    auto calls = f.block_calls(t);
    if (calls[0].block != calls[1].block) continue;
    auto a0 = f.List(calls[0].args), a1 = f.List(calls[1].args);
    if (!std::equal(a0.begin(), a0.end(), a1.begin(), a1.end())) continue;
    f.ReplaceWithJump(t, calls[0]);
    changed = true;
  }

  // 2. Thread branches through forwarding blocks. Bounded rounds: a cycle
  // of forwarding blocks (an empty infinite loop) must not spin.
  // A forwarding block qualifies only if its parameters are used nowhere
  // but in its own jump: blocks it dominates may use them directly, and
  // bypassing it would leave those uses undefined.
  ir::UseCounts uses(f);
  auto params_only_forwarded = [&](Block fwd, Inst j) {
    auto args = f.List(f.block_calls(j)[0].args);
    for (Value p : f.block_params(fwd)) {
      uint32_t in_jump = std::count(args.begin(), args.end(), p);
      if (uses.count(p) != in_jump) return false;
    }
    return true;
  };
  for (int round = 0; round < 4; ++round) {
    bool threaded = false;
    for (Block b : f.blocks()) {
      Inst t = f.last_inst(b);
      if (!t.valid() || !ir::IsBranch(f.opcode(t))) continue;
      const bool is_table = f.opcode(t) == Opcode::kBrTable;
      const uint32_t n = f.block_calls(t).size();
      for (uint32_t k = 0; k < n; ++k) {
        ir::BlockCall bc = f.block_calls(t)[k];
        Block fwd = bc.block;
        if (fwd == b || fwd == entry) continue;
        Inst j = ForwardingJump(f, fwd);
        if (!j.valid()) continue;
        ir::BlockCall target = f.block_calls(j)[0];
        if (target.block == fwd) continue;  // Self loop.
        if (is_table && !f.block_params(target.block).empty()) continue;
        if (!params_only_forwarded(fwd, j)) continue;
        // Substitute fwd's parameters by this call's arguments.
        auto params = f.block_params(fwd);
        std::vector<Value> args;
        for (Value a : f.List(target.args)) {
          Value r = a;
          for (size_t p = 0; p < params.size(); ++p) {
            if (params[p] == a) r = f.List(bc.args)[p];
          }
          args.push_back(r);
        }
        f.mutable_block_calls(t)[k] = ir::BlockCall{target.block, f.MakeList(args)};
        threaded = changed = true;
      }
    }
    if (!threaded) break;
  }
  RemoveUnreachableBlocks(f);

  // 3. Merge blocks into their single predecessor's unconditional jump.
  ir::ControlFlowGraph cfg(f);
  std::vector<Block> order;
  for (Block b : f.blocks()) order.push_back(b);
  std::vector<uint8_t> merged(f.num_blocks(), 0);
  for (Block b : order) {
    if (merged[b.index]) continue;
    // Absorb successors as long as the chain continues.
    while (true) {
      Inst t = f.last_inst(b);
      if (!t.valid() || f.opcode(t) != Opcode::kJump) break;
      Block s = f.block_calls(t)[0].block;
      if (s == b || s == entry || cfg.preds(s).size() != 1) break;
      auto params = f.block_params(s);
      auto args = f.List(f.block_calls(t)[0].args);
      for (size_t p = 0; p < params.size(); ++p) {
        repl[params[p].index] = resolve(args[p]);
      }
      f.RemoveInst(t);
      for (Inst i = f.first_inst(s); i.valid();) {
        Inst next = f.next_inst(i);
        f.RemoveInst(i);
        f.AppendInst(b, i);
        i = next;
      }
      while (!f.block_params(s).empty()) {
        f.RemoveBlockParam(s, f.block_params(s).size() - 1);
      }
      f.RemoveBlock(s);
      merged[s.index] = 1;
      changed = true;
      // s's successors now have b as their predecessor; the CFG entries
      // that matter below (pred counts) are unchanged.
    }
  }
  // Apply the parameter substitutions.
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      for (Value& a : f.mutable_args(i)) a = resolve(a);
      for (ir::BlockCall& bc : f.mutable_block_calls(i)) {
        for (Value& a : f.List(bc.args)) a = resolve(a);
      }
    }
  }
  return changed;
}

}  // namespace kiln::opt
