#include "codegen/opt/const_fold.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/eval.h"
#include "codegen/opt/unreachable.h"

namespace kiln::opt {

using ir::Inst;
using ir::Opcode;
using ir::Type;
using ir::Value;

std::optional<uint64_t> FoldOperation(Opcode op, Type ctrl, Type arg_type,
                                      uint8_t code, int64_t imm,
                                      const uint64_t* a, int n) {
  ir::EvalResult r = ir::Evaluate(op, ctrl, arg_type, code, imm, a, n);
  if (r.kind != ir::EvalResult::kValue) return std::nullopt;
  // NaN results are left to run time: wasm lets the hardware choose the
  // payload, and fpromote/fdemote/arithmetic must not pin one here.
  Type result_type = ir::GetOpcodeInfo(op).result == ir::ResultRule::kCtrl
                         ? ctrl
                         : arg_type;
  if (op == Opcode::kIcmp || op == Opcode::kFcmp) result_type = Type::kI32;
  if (result_type == Type::kF32) {
    uint32_t b = static_cast<uint32_t>(r.bits);
    float f;
    std::memcpy(&f, &b, 4);
    if (std::isnan(f)) return std::nullopt;
  } else if (result_type == Type::kF64) {
    double d;
    std::memcpy(&d, &r.bits, 8);
    if (std::isnan(d)) return std::nullopt;
  }
  return r.bits;
}

bool ConstFoldPass::Run(ir::Function& f) {
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  // Known constant bits per value.
  std::vector<uint8_t> known(f.num_values(), 0);
  std::vector<uint64_t> bits(f.num_values(), 0);
  auto set_const = [&](Value v, uint64_t b) {
    known[v.index] = 1;
    bits[v.index] = b;
  };
  bool changed = false;
  bool cfg_changed = false;
  // RPO: definitions are seen before uses (except through block params,
  // which we do not track).
  for (ir::Block b : dt.rpo()) {
    for (Inst i = f.first_inst(b); i.valid();) {
      Inst next = f.next_inst(i);
      const ir::InstData& d = f.inst(i);
      const Opcode op = d.opcode;
      Value r = f.first_result(i);
      if (op == Opcode::kIconst) {
        set_const(r, static_cast<uint64_t>(d.imm));
      } else if (op == Opcode::kF32const || op == Opcode::kF64const) {
        set_const(r, static_cast<uint64_t>(d.imm));
      } else {
        auto args = f.args(i);
        bool all_known = !args.empty();
        uint64_t vals[3] = {0, 0, 0};
        for (size_t k = 0; k < args.size(); ++k) {
          if (k >= 3 || !known[args[k].index]) {
            all_known = false;
            break;
          }
          vals[k] = bits[args[k].index];
        }
        if (op == Opcode::kSelect && !args.empty() && known[args[0].index]) {
          // The chosen operand, if it is itself constant.
          Value pick = (bits[args[0].index] & 0xffffffffu) ? args[1] : args[2];
          if (known[pick.index]) {
            uint64_t v = bits[pick.index];
            Type t = f.value_type(r);
            if (t == Type::kF32) {
              f.ReplaceWithF32const(i, static_cast<uint32_t>(v));
            } else if (t == Type::kF64) {
              f.ReplaceWithF64const(i, v);
            } else {
              f.ReplaceWithIconst(i, static_cast<int64_t>(v));
            }
            set_const(r, f.inst(i).imm);
            changed = true;
          }
        } else if (op == Opcode::kBrif && all_known) {
          uint64_t c = vals[0];
          if (f.value_type(args[0]) == Type::kI32) c &= 0xffffffffu;
          f.ReplaceWithJump(i, f.block_calls(i)[c != 0 ? 0 : 1]);
          changed = cfg_changed = true;
        } else if ((op == Opcode::kTrapz || op == Opcode::kTrapnz) &&
                   all_known) {
          uint64_t c = vals[0];
          if (f.value_type(args[0]) == Type::kI32) c &= 0xffffffffu;
          bool traps = (op == Opcode::kTrapz) == (c == 0);
          if (!traps) {
            f.RemoveInst(i);
          } else {
            // Always traps: the rest of the block is dead.
            ir::InstData& m = f.mutable_inst(i);
            m.opcode = Opcode::kTrap;
            m.args = {};
            for (Inst j = next; j.valid();) {
              Inst n2 = f.next_inst(j);
              f.RemoveInst(j);
              j = n2;
            }
            next = Inst();
            cfg_changed = true;
          }
          changed = true;
        } else if (all_known && r.valid() && f.results(i).size() == 1) {
          Type arg_type = f.value_type(args[0]);
          if (op == Opcode::kSelect) arg_type = f.value_type(args[1]);
          auto folded = FoldOperation(op, d.ctrl_type, arg_type, d.code, d.imm,
                                      vals, args.size());
          if (folded) {
            Type t = f.value_type(r);
            if (t == Type::kF32) {
              f.ReplaceWithF32const(i, static_cast<uint32_t>(*folded));
            } else if (t == Type::kF64) {
              f.ReplaceWithF64const(i, *folded);
            } else {
              f.ReplaceWithIconst(i, static_cast<int64_t>(*folded));
            }
            set_const(r, static_cast<uint64_t>(f.inst(i).imm));
            changed = true;
          }
        }
      }
      i = next;
    }
  }
  if (cfg_changed) RemoveUnreachableBlocks(f);
  return changed;
}

}  // namespace kiln::opt
