#include "codegen/opt/gvn.h"

#include <algorithm>
#include <array>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {
namespace {

using ir::Block;
using ir::Inst;
using ir::Opcode;
using ir::Value;

struct Key {
  Opcode op;
  ir::Type ctrl;
  uint8_t code;
  uint8_t num_args;
  int64_t imm;
  uint32_t ref;
  std::array<uint32_t, 3> args;

  friend bool operator==(const Key& a, const Key& b) {
    return a.op == b.op && a.ctrl == b.ctrl && a.code == b.code &&
           a.num_args == b.num_args && a.imm == b.imm && a.ref == b.ref &&
           a.args == b.args;
  }
  template <typename H>
  friend H AbslHashValue(H h, const Key& k) {
    return H::combine(std::move(h), k.op, k.ctrl, k.code, k.num_args, k.imm,
                      k.ref, k.args);
  }
};

bool Eligible(const ir::Function& f, Inst i) {
  const ir::InstData& d = f.inst(i);
  if (d.opcode == Opcode::kLoad) {
    // Memory that never changes while the function runs and cannot fault
    // (VMContext fields such as the heap base) reads the same every time.
    constexpr uint8_t kStable = ir::kMemReadonly | ir::kMemNotrap;
    return (d.code & kStable) == kStable;
  }
  const ir::OpcodeInfo& info = ir::GetOpcodeInfo(d.opcode);
  if (info.flags & (ir::kSideEffects | ir::kReadsMemory | ir::kTerminator |
                    ir::kCall)) {
    return false;
  }
  return f.results(i).size() == 1 && f.args(i).size() <= 3;
}

bool IsCommutative(const ir::Function& f, Inst i) {
  switch (f.opcode(i)) {
    case Opcode::kIadd:
    case Opcode::kImul:
    case Opcode::kBand:
    case Opcode::kBor:
    case Opcode::kBxor:
      return true;
    case Opcode::kIcmp: {
      auto cc = static_cast<ir::IntCC>(f.inst(i).code);
      return cc == ir::IntCC::kEq || cc == ir::IntCC::kNe;
    }
    default:
      return false;
  }
}

}  // namespace

bool GvnPass::Run(ir::Function& f) {
  bool changed = RemoveUnreachableBlocks(f);
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  std::vector<Value> repl(f.num_values());
  for (uint32_t k = 0; k < repl.size(); ++k) repl[k] = Value(k);
  struct Entry {
    Value value;
    Block block;
  };
  absl::flat_hash_map<Key, Entry> table;
  // Dominator-tree pre-order: once we leave a subtree we never come back to
  // it, so an entry whose block does not dominate the current block can be
  // overwritten.
  for (Block b : dt.preorder()) {
    for (Inst i = f.first_inst(b); i.valid();) {
      Inst next = f.next_inst(i);
      for (Value& a : f.mutable_args(i)) a = repl[a.index];
      for (ir::BlockCall& bc : f.mutable_block_calls(i)) {
        for (Value& a : f.List(bc.args)) a = repl[a.index];
      }
      if (Eligible(f, i)) {
        const ir::InstData& d = f.inst(i);
        Key key{d.opcode, d.ctrl_type, d.code,
                static_cast<uint8_t>(d.args.size), d.imm, d.ref, {0, 0, 0}};
        auto args = f.args(i);
        for (size_t k = 0; k < args.size(); ++k) key.args[k] = args[k].index;
        if (IsCommutative(f, i) && key.args[0] > key.args[1]) {
          std::swap(key.args[0], key.args[1]);
        }
        auto [it, inserted] = table.try_emplace(key, Entry{f.first_result(i), b});
        if (!inserted) {
          if (dt.Dominates(it->second.block, b)) {
            repl[f.first_result(i).index] = it->second.value;
            f.RemoveInst(i);
            changed = true;
          } else {
            it->second = Entry{f.first_result(i), b};
          }
        }
      }
      i = next;
    }
  }
  return changed;
}

}  // namespace kiln::opt
