#include "codegen/opt/inline.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "codegen/ir/reverse_postorder.h"

namespace kiln::opt {

using ir::Block;
using ir::Inst;
using ir::Value;

uint32_t InstructionCount(const ir::Function& f) {
  uint32_t n = 0;
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      (void)i;
      ++n;
    }
  }
  return n;
}

InlineBody PrepareInlineBody(ir::Function func) {
  InlineBody body;
  body.func = std::move(func);
  const ir::Function& f = body.func;
  // Successors in terminator order; no CFG or dominator tree for what is
  // only a copy order.
  auto successors = [&f](Block b) {
    const Inst term = f.last_inst(b);
    return term.valid() && ir::IsBranch(f.opcode(term))
               ? f.block_calls(term)
               : absl::Span<const ir::BlockCall>();
  };
  body.order = ir::ReversePostorder(
      f, [&](Block b) { return successors(b).size(); },
      [&](Block b, uint32_t k) { return successors(b)[k].block; });
  uint32_t blocks = 0;
  bool tail_call = false;
  for (Block b : f.blocks()) {
    ++blocks;
    for (Inst i : f.insts(b)) {
      ++body.size;
      // A tail call must be followed by its return; spliced, the return
      // becomes a jump. Rare in small functions: not inlined.
      if (ir::IsCall(f.opcode(i)) && f.inst(i).code == ir::kCallIsTail) {
        tail_call = true;
      }
    }
  }
  body.inlinable = !tail_call && blocks == body.order.size();
  return body;
}

void RenameValues(ir::Function& f,
                  absl::Span<const std::pair<Value, Value>> renames) {
  if (renames.empty()) return;
  std::vector<Value> to(f.num_values());
  for (uint32_t k = 0; k < to.size(); ++k) to[k] = Value(k);
  for (const auto& [from, repl] : renames) to[from.index] = repl;
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      for (Value& a : f.mutable_args(i)) a = to[a.index];
      for (ir::BlockCall& bc : f.mutable_block_calls(i)) {
        for (Value& a : f.List(bc.args)) a = to[a.index];
      }
    }
  }
}

void InlineCall(ir::Function& f, Inst call, const InlineBody& body,
                std::vector<std::pair<Value, Value>>* renames) {
  const ir::Function& g = body.func;
  const Block b = f.inst_block(call);
  const std::vector<Value> call_args(f.args(call).begin(), f.args(call).end());
  const std::vector<Value> call_results(f.results(call).begin(),
                                        f.results(call).end());

  // The continuation: what followed the call, with the results as params.
  const Block cont = f.CreateBlock();
  for (Value r : call_results) {
    renames->push_back({r, f.AppendBlockParam(cont, f.value_type(r))});
  }
  for (Inst i = f.next_inst(call); i.valid();) {
    Inst next = f.next_inst(i);
    f.RemoveInst(i);
    f.AppendInst(cont, i);
    i = next;
  }
  f.RemoveInst(call);

  // Blocks (callee layout order) between the call's block and `cont`.
  std::vector<Block> bmap(g.num_blocks());
  std::vector<Value> vmap(g.num_values());
  const Block entry = g.entry_block();
  bmap[entry.index] = b;
  {
    absl::Span<const Value> params = g.block_params(entry);
    for (size_t k = 0; k < params.size(); ++k) {
      vmap[params[k].index] = call_args[k];
    }
  }
  Block after = b;
  for (Block cb : g.blocks()) {
    if (cb == entry) continue;
    const Block nb = f.CreateBlock();
    bmap[cb.index] = nb;
    for (Value p : g.block_params(cb)) {
      vmap[p.index] = f.AppendBlockParam(nb, g.value_type(p));
    }
    f.InsertBlockAfter(after, nb);
    after = nb;
  }
  f.InsertBlockAfter(after, cont);

  // Preamble references, declared in the caller on first use.
  std::vector<ir::FuncRef> fmap(g.num_ext_funcs());
  std::vector<ir::SigRef> smap(g.num_signatures());
  auto map_sig = [&](ir::SigRef s) {
    if (!smap[s.index].valid()) smap[s.index] = f.DeclareSignature(g.sig(s));
    return smap[s.index];
  };
  auto map_func = [&](ir::FuncRef r) {
    if (!fmap[r.index].valid()) {
      const ir::ExtFuncData& e = g.ext_func(r);
      fmap[r.index] = f.DeclareFunction(e.func_index, map_sig(e.sig), e.kind);
    }
    return fmap[r.index];
  };

  std::vector<Value> args;
  std::vector<Value> targs;
  std::vector<ir::BlockCallSpec> targets;
  std::vector<std::pair<uint32_t, uint32_t>> spans;
  for (Block cb : body.order) {
    const Block nb = bmap[cb.index];
    for (Inst i : g.insts(cb)) {
      const ir::InstData& d = g.inst(i);
      args.clear();
      for (Value a : g.args(i)) args.push_back(vmap[a.index]);
      targs.clear();
      spans.clear();
      targets.clear();
      Inst ni;
      if (d.opcode == ir::Opcode::kReturn) {
        targets.push_back({cont, args});
        ni = f.CreateInst(ir::Opcode::kJump, ir::Type::kInvalid, {}, targets);
      } else {
        for (const ir::BlockCall& bc : g.block_calls(i)) {
          const uint32_t start = targs.size();
          for (Value a : g.List(bc.args)) targs.push_back(vmap[a.index]);
          spans.push_back({start, static_cast<uint32_t>(targs.size()) - start});
        }
        absl::Span<const ir::BlockCall> calls = g.block_calls(i);
        for (size_t k = 0; k < calls.size(); ++k) {
          targets.push_back(
              {bmap[calls[k].block.index],
               absl::MakeConstSpan(targs).subspan(spans[k].first,
                                                  spans[k].second)});
        }
        ni = f.CreateInst(d.opcode, d.ctrl_type, args, targets);
        ir::InstData& nd = f.mutable_inst(ni);
        nd.code = d.code;
        nd.imm = d.imm;
        nd.ref = d.ref;
        if (d.opcode == ir::Opcode::kCall) {
          nd.ref = map_func(ir::FuncRef(d.ref)).index;
        } else if (d.opcode == ir::Opcode::kCallIndirect) {
          nd.ref = map_sig(ir::SigRef(d.ref)).index;
        }
        f.MakeResults(ni);
        absl::Span<const Value> old_results = g.results(i);
        absl::Span<const Value> new_results = f.results(ni);
        for (size_t k = 0; k < old_results.size(); ++k) {
          vmap[old_results[k].index] = new_results[k];
        }
      }
      f.mutable_inst(ni).srcloc = d.srcloc;
      f.AppendInst(nb, ni);
    }
  }
}

int InlineCalls(ir::Function& f, uint32_t caller_index,
                const InlineLookup& lookup, const InlineBudget& budget) {
  struct Site {
    Inst call;
    const InlineBody* body;
  };
  std::vector<Site> sites;
  uint32_t size = 0;
  for (Block b : f.blocks()) {
    for (Inst i : f.insts(b)) {
      ++size;
      // A tail call's frame replaces the caller's (backtraces show it so):
      // not inlined.
      if (f.opcode(i) != ir::Opcode::kCall ||
          f.inst(i).code == ir::kCallIsTail) {
        continue;
      }
      const ir::ExtFuncData& e = f.ext_func(ir::FuncRef(f.inst(i).ref));
      if (e.kind != ir::ExtFuncKind::kWasm || e.func_index == caller_index) {
        continue;
      }
      const InlineBody* body = lookup(e.func_index);
      if (body == nullptr || !body->inlinable) continue;
      sites.push_back({i, body});
    }
  }
  if (sites.empty()) return 0;
  uint32_t left = std::max(budget.min_growth, size * budget.growth_factor);
  std::vector<std::pair<Value, Value>> renames;
  int inlined = 0;
  for (const Site& s : sites) {
    if (!s.body->always) {
      if (s.body->size > left) continue;
      left -= s.body->size;
    }
    InlineCall(f, s.call, *s.body, &renames);
    ++inlined;
  }
  RenameValues(f, renames);
  return inlined;
}

}  // namespace kiln::opt
