#include "codegen/opt/dce.h"

#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {
namespace {

using ir::Block;
using ir::Inst;
using ir::Value;

// Whether `i` must stay even if its results are unused.
bool IsRoot(const ir::Function& f, Inst i) {
  const ir::InstData& d = f.inst(i);
  const ir::OpcodeInfo& info = ir::GetOpcodeInfo(d.opcode);
  if (info.flags & (ir::kSideEffects | ir::kTerminator)) return true;
  if (info.flags & ir::kCanTrap) {
    // Raw loads that cannot fault are removable.
    return !(d.opcode == ir::Opcode::kLoad && (d.code & ir::kMemNotrap));
  }
  return false;
}

}  // namespace

bool DcePass::Run(ir::Function& f) {
  bool changed = RemoveUnreachableBlocks(f);
  ir::ControlFlowGraph cfg(f);
  std::vector<uint8_t> live(f.num_values(), 0);
  std::vector<Value> work;
  auto mark = [&](Value v) {
    if (!live[v.index]) {
      live[v.index] = 1;
      work.push_back(v);
    }
  };
  std::vector<uint8_t> inst_live(f.num_insts(), 0);
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      if (!IsRoot(f, i)) continue;
      inst_live[i.index] = 1;
      for (Value v : f.args(i)) mark(v);
      // Results of a live root are not marked: their users decide.
    }
  }
  const Block entry = f.entry_block();
  for (Value p : f.block_params(entry)) mark(p);
  while (!work.empty()) {
    Value v = work.back();
    work.pop_back();
    const ir::ValueData& vd = f.value(v);
    if (vd.kind == ir::ValueDefKind::kResult) {
      Inst i(vd.def);
      if (!inst_live[i.index]) {
        inst_live[i.index] = 1;
        for (Value a : f.args(i)) mark(a);
      }
    } else if (vd.kind == ir::ValueDefKind::kParam) {
      Block b(vd.def);
      for (const ir::BlockPredecessor& p : cfg.preds(b)) {
        for (const ir::BlockCall& bc : f.block_calls(p.inst)) {
          if (bc.block == b) mark(f.List(bc.args)[vd.num]);
        }
      }
    }
  }
  // Sweep instructions.
  for (Block b : f.blocks()) {
    for (Inst i = f.first_inst(b); i.valid();) {
      Inst next = f.next_inst(i);
      if (!inst_live[i.index]) {
        f.RemoveInst(i);
        changed = true;
      }
      i = next;
    }
  }
  // Sweep block parameters (highest index first so positions stay valid).
  for (Block b : f.blocks()) {
    if (b == entry) continue;
    auto params = f.block_params(b);
    for (uint32_t k = params.size(); k-- > 0;) {
      if (live[f.block_params(b)[k].index]) continue;
      for (const ir::BlockPredecessor& p : cfg.preds(b)) {
        auto calls = f.block_calls(p.inst);
        for (uint32_t c = 0; c < calls.size(); ++c) {
          if (calls[c].block == b) f.RemoveBlockCallArg(p.inst, c, k);
        }
      }
      f.RemoveBlockParam(b, k);
      changed = true;
    }
  }
  return changed;
}

}  // namespace kiln::opt
