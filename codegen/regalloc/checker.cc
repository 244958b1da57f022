// Allocation checker: forward dataflow over "which vreg's value does each
// location hold", met by intersection at joins.
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::regalloc {
namespace {

using isa::Allocation;
using isa::kInvalidVReg;
using isa::OperandKind;
using isa::VCode;
using isa::VReg;

constexpr VReg kUnknown = kInvalidVReg;
constexpr VReg kTop = kInvalidVReg - 1;  // not yet reached

class State {
 public:
  explicit State(uint32_t num_slots) : v_(64 + num_slots, kTop) {}
  VReg& at(Allocation a) { return v_[a.is_reg() ? a.reg().index() : 64 + a.slot()]; }
  void Move(Allocation from, Allocation to) { at(to) = at(from); }
  void Define(Allocation a, VReg v) {
    for (VReg& x : v_) {
      if (x == v) x = kUnknown;
    }
    at(a) = v;
  }
  void Fill(VReg v) { std::fill(v_.begin(), v_.end(), v); }
  // Returns true if changed.
  bool Meet(const State& o) {
    bool changed = false;
    for (size_t i = 0; i < v_.size(); ++i) {
      VReg n = v_[i] == kTop ? o.v_[i] : (o.v_[i] == kTop || o.v_[i] == v_[i] ? v_[i] : kUnknown);
      if (n != v_[i]) {
        v_[i] = n;
        changed = true;
      }
    }
    return changed;
  }
  bool reached() const { return reached_; }
  void set_reached() { reached_ = true; }

 private:
  std::vector<VReg> v_;
  bool reached_ = false;
};

}  // namespace

absl::Status CheckAllocation(const VCode& code, const MachineEnv& env, const Output& out) {
  (void)env;
  const uint32_t nb = code.num_blocks();
  if (nb == 0) return absl::OkStatus();
  std::vector<State> entry(nb, State(out.num_spill_slots));
  entry[0].Fill(kUnknown);
  entry[0].set_reached();
  // Map each edit position to its range.
  std::vector<uint32_t> edit_begin(2 * code.num_insts() + 1, 0);
  {
    size_t e = 0;
    for (uint32_t pos = 0; pos < 2 * code.num_insts(); ++pos) {
      edit_begin[pos] = static_cast<uint32_t>(e);
      while (e < out.edits.size() && out.edits[e].pos == pos) ++e;
    }
    edit_begin[2 * code.num_insts()] = static_cast<uint32_t>(e);
    if (e != out.edits.size()) return absl::InternalError("checker: edits out of order");
  }
  auto apply_edits = [&](State& s, uint32_t pos) {
    for (uint32_t e = edit_begin[pos]; e < edit_begin[pos + 1]; ++e) {
      s.Move(out.edits[e].move.from, out.edits[e].move.to);
    }
  };
  const auto& ops = code.all_operands();
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t b = 0; b < nb; ++b) {
      if (!entry[b].reached()) continue;
      State s = entry[b];
      const VCode::Block& blk = code.block(b);
      for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
        apply_edits(s, 2 * i);
        const VCode::InstInfo& info = code.inst(i);
        for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
          if (ops[k].kind == OperandKind::kDef) continue;
          if (out.allocs[k].is_none()) {
            return absl::InternalError(absl::StrCat("checker: inst", i, " operand unallocated"));
          }
          VReg have = s.at(out.allocs[k]);
          if (have != ops[k].vreg) {
            return absl::InternalError(absl::StrCat(
                "checker: inst", i, " uses v", ops[k].vreg, " from ",
                out.allocs[k].ToString(), " which holds ",
                have == kUnknown ? std::string("unknown") : absl::StrCat("v", have)));
          }
        }
        // Operand constraints within the instruction.
        for (uint32_t d = info.op_begin; d < info.op_begin + info.op_count; ++d) {
          if (ops[d].kind == OperandKind::kUse) continue;
          for (uint32_t u = info.op_begin; u < info.op_begin + info.op_count; ++u) {
            if (u == d || ops[u].vreg == ops[d].vreg || out.allocs[u] != out.allocs[d]) continue;
            const bool early_def =
                ops[d].kind == OperandKind::kMod || ops[d].pos == isa::OperandPos::kEarly;
            const bool late_use =
                ops[u].kind == OperandKind::kMod || ops[u].pos == isa::OperandPos::kLate;
            if (ops[u].kind != OperandKind::kUse || early_def || late_use) {
              return absl::InternalError(absl::StrCat(
                  "checker: inst", i, " v", ops[d].vreg, " and v", ops[u].vreg,
                  " share ", out.allocs[d].ToString(), " but must not"));
            }
          }
        }
        for (uint64_t m = info.clobbers.bits(); m != 0; m &= m - 1) {
          s.at(Allocation::Reg(isa::PReg::FromIndex(__builtin_ctzll(m)))) = kUnknown;
        }
        for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
          if (ops[k].kind == OperandKind::kUse) continue;
          s.Define(out.allocs[k], ops[k].vreg);
        }
        apply_edits(s, 2 * i + 1);
      }
      auto succs = code.succs(b);
      for (uint32_t k = 0; k < succs.size(); ++k) {
        State t = s;
        for (const Move& m : out.EdgeMoves(blk.succ_begin + k)) t.Move(m.from, m.to);
        auto args = code.edge_args(succs[k]);
        auto params = code.params(succs[k].block);
        for (size_t j = 0; j < params.size(); ++j) {
          Allocation loc = out.vreg_locs[params[j]];
          if (loc.is_none()) continue;
          if (t.at(loc) != args[j]) {
            return absl::InternalError(absl::StrCat("checker: edge block", b, "->block",
                                                    succs[k].block, " param v", params[j],
                                                    " does not receive v", args[j]));
          }
        }
        for (size_t j = 0; j < params.size(); ++j) {
          Allocation loc = out.vreg_locs[params[j]];
          if (!loc.is_none()) t.Define(loc, params[j]);
        }
        State& dst = entry[succs[k].block];
        if (!dst.reached()) {
          dst = t;
          dst.set_reached();
          changed = true;
        } else if (dst.Meet(t)) {
          changed = true;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace kiln::regalloc
