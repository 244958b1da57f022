#include "codegen/opt/simplify_params.h"

#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {

using ir::Block;
using ir::Inst;
using ir::Value;

bool SimplifyParamsPass::Run(ir::Function& f) {
  bool changed = RemoveUnreachableBlocks(f);
  std::vector<Value> repl(f.num_values());
  for (uint32_t k = 0; k < repl.size(); ++k) repl[k] = Value(k);
  auto resolve = [&](Value v) {
    Value r = v;
    while (repl[r.index] != r) r = repl[r.index];
    while (repl[v.index] != r) {  // Path compression.
      Value next = repl[v.index];
      repl[v.index] = r;
      v = next;
    }
    return r;
  };
  const Block entry = f.entry_block();
  bool again = true;
  bool removed_any = false;
  while (again) {
    again = false;
    ir::ControlFlowGraph cfg(f);
    for (Block b : f.blocks()) {
      if (b == entry || cfg.preds(b).empty()) continue;
      for (uint32_t k = f.block_params(b).size(); k-- > 0;) {
        Value p = f.block_params(b)[k];
        Value same;
        bool redundant = true;
        for (const ir::BlockPredecessor& pred : cfg.preds(b)) {
          for (const ir::BlockCall& bc : f.block_calls(pred.inst)) {
            if (bc.block != b) continue;
            Value a = resolve(f.List(bc.args)[k]);
            if (a == p) continue;
            if (!same.valid()) {
              same = a;
            } else if (a != same) {
              redundant = false;
            }
          }
        }
        // No other incoming value: the parameter only feeds itself (dead
        // loop) and is left to DCE.
        if (!redundant || !same.valid()) continue;
        repl[p.index] = same;
        for (const ir::BlockPredecessor& pred : cfg.preds(b)) {
          auto calls = f.block_calls(pred.inst);
          for (uint32_t c = 0; c < calls.size(); ++c) {
            if (calls[c].block == b) f.RemoveBlockCallArg(pred.inst, c, k);
          }
        }
        f.RemoveBlockParam(b, k);
        again = removed_any = true;
      }
    }
  }
  if (!removed_any) return changed;
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      for (Value& a : f.mutable_args(i)) a = resolve(a);
      for (ir::BlockCall& bc : f.mutable_block_calls(i)) {
        for (Value& a : f.List(bc.args)) a = resolve(a);
      }
    }
  }
  return true;
}

}  // namespace kiln::opt
