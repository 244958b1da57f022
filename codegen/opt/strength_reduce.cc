#include "codegen/opt/strength_reduce.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/loops.h"
#include "codegen/ir/use_counts.h"

namespace kiln::opt {
namespace {

using ir::Block;
using ir::Inst;
using ir::Opcode;
using ir::Type;
using ir::Value;

// Invariant operands are recognised through this many in-loop pure
// instructions (licm leaves one-cycle integer ops in the loop).
constexpr int kMaxInvariantDepth = 3;

uint64_t Mask(Type t) { return t == Type::kI32 ? 0xffffffffull : ~0ull; }

// The immediate of a BinaryImm of type t (sign-extended from the width).
int64_t Imm(uint64_t v, Type t) {
  return t == Type::kI32 ? static_cast<int32_t>(v) : static_cast<int64_t>(v);
}

// value = scale * ivs[iv].param + base[0] + base[1] + offset (mod 2^width).
struct Affine {
  int iv = -1;
  uint64_t scale = 0;
  Value base[2];  // Invariant terms, sorted by id; unused slots are none.
  uint64_t offset = 0;

  int num_bases() const { return base[0].valid() + base[1].valid(); }
  bool SameLine(const Affine& o) const {
    return iv == o.iv && scale == o.scale && base[0] == o.base[0] &&
           base[1] == o.base[1];
  }
};

struct Iv {
  Value param;
  uint32_t index;  // Position among the header's parameters.
  Value inc;       // param + step, passed on every back edge.
  uint64_t step;
  Type type;
};

// Expressions on one line (same IV, scale and bases): one derived IV.
struct Group {
  Affine line;          // offset = o0, the representative's.
  std::vector<Value> roots;  // roots[0] is the representative.
};

// The exit test of an IV, for test replacement.
struct ExitTest {
  Inst inst;       // icmp eq/ne, or brif
  int iv_operand = 0;  // Operand that is p or inc.
  bool uses_inc = false;
};

class LoopReducer {
 public:
  LoopReducer(ir::Function& f, const ir::ControlFlowGraph& cfg)
      : f_(f), cfg_(cfg), stamp_(f.num_blocks(), 0) {}

  bool Run(const ir::Loop& loop) {
    ++mark_;
    for (Block b : loop.blocks) stamp_[b.index] = mark_;
    header_ = loop.header;
    if (!FindEdges()) return false;
    FindIvs();
    if (ivs_.empty()) return false;
    aff_.clear();
    materialized_.clear();
    scaled_.clear();
    ComputeAffine(loop);
    std::vector<Group> groups = CollectGroups(loop);
    if (groups.empty()) return false;
    // Counted once, when first needed: later loops see counts from before
    // earlier loops were rewritten, which only blurs the estimate a little;
    // correctness never depends on it.
    if (!uses_computed_) {
      uses_.Compute(f_);
      uses_computed_ = true;
    }

    bool changed = false;
    int derived = 0;
    int new_live = 0;
    for (int k = 0; k < static_cast<int>(ivs_.size()); ++k) {
      std::vector<const Group*> mine;
      for (const Group& g : groups) {
        if (g.line.iv == k) mine.push_back(&g);
      }
      if (mine.empty()) continue;
      const int n = static_cast<int>(mine.size());
      ExitTest exit;
      const Group* lftr = nullptr;
      const int saved = Saved(loop, ivs_[k], mine, &exit, &lftr);
      const bool iv_dies = saved_iv_dies_;
      const int live = n - (iv_dies ? 1 : 0) + (lftr && NeedsEndRegister(exit, *lftr) ? 1 : 0);
      // When p stays alive every derived IV is one more register across
      // the loop (our allocator does not split live ranges): each must save
      // an instruction per iteration by itself.
      const int need = iv_dies ? 1 : n;
      if (saved - n < need || derived + n > StrengthReducePass::kMaxDerivedIvs ||
          new_live + live > StrengthReducePass::kMaxNewLive) {
        continue;
      }
      derived += n;
      new_live += live;
      std::vector<std::pair<Value, Value>> d;  // (d, d_next) per group.
      for (const Group* g : mine) d.push_back(Apply(ivs_[k], *g));
      if (lftr) {
        const size_t at = std::find(mine.begin(), mine.end(), lftr) - mine.begin();
        ReplaceTest(ivs_[k], *lftr, exit, d[at].first, d[at].second);
      }
      changed = true;
    }
    return changed;
  }

 private:
  bool InLoop(Value v) const {
    const ir::ValueData& d = f_.value(v);
    const Block b = d.kind == ir::ValueDefKind::kParam
                        ? Block(d.def)
                        : f_.inst_block(Inst(d.def));
    return b.valid() && stamp_[b.index] == mark_;
  }

  bool ConstOf(Value v, uint64_t* c) const {
    const Inst i = f_.DefiningInst(v);
    if (!i.valid() || f_.opcode(i) != Opcode::kIconst) return false;
    *c = static_cast<uint64_t>(f_.inst(i).imm);
    return true;
  }

  // The preheader's jump and the back edges. False unless the header's only
  // predecessor outside the loop is a jump.
  bool FindEdges() {
    pre_jump_ = Inst();
    latches_.clear();
    for (const ir::BlockPredecessor& p : cfg_.preds(header_)) {
      if (stamp_[p.block.index] == mark_) {
        if (std::find(latches_.begin(), latches_.end(), p.inst) ==
            latches_.end()) {
          latches_.push_back(p.inst);
        }
      } else {
        if (pre_jump_.valid() || f_.opcode(p.inst) != Opcode::kJump) {
          return false;
        }
        pre_jump_ = p.inst;
      }
    }
    return pre_jump_.valid() && !latches_.empty();
  }

  // Basic IVs: header params whose value on every back edge is one
  // `param + constant` instruction.
  void FindIvs() {
    ivs_.clear();
    num_back_edges_ = 0;
    for (Inst br : latches_) {
      for (const ir::BlockCall& bc : f_.block_calls(br)) {
        if (bc.block == header_) ++num_back_edges_;
      }
    }
    const auto params = f_.block_params(header_);
    for (uint32_t k = 0; k < params.size(); ++k) {
      const Value p = params[k];
      const Type t = f_.value_type(p);
      if (t != Type::kI32 && t != Type::kI64) continue;
      Value inc;
      bool ok = true;
      for (Inst br : latches_) {
        for (const ir::BlockCall& bc : f_.block_calls(br)) {
          if (bc.block != header_) continue;
          const Value a = f_.List(bc.args)[k];
          if (inc.valid() && a != inc) ok = false;
          inc = a;
        }
      }
      if (!ok || !inc.valid() || !InLoop(inc)) continue;
      const Inst i = f_.DefiningInst(inc);
      if (!i.valid()) continue;
      const auto args = f_.args(i);
      uint64_t c = 0;
      bool found = false;
      switch (f_.opcode(i)) {
        case Opcode::kIaddImm:
          found = args[0] == p;
          c = static_cast<uint64_t>(f_.inst(i).imm);
          break;
        case Opcode::kIadd:
          found = (args[0] == p && ConstOf(args[1], &c)) ||
                  (args[1] == p && ConstOf(args[0], &c));
          break;
        case Opcode::kIsub:
          found = args[0] == p && ConstOf(args[1], &c);
          c = 0 - c;
          break;
        default:
          break;
      }
      if (found) ivs_.push_back({p, k, inc, c & Mask(t), t});
    }
  }

  // Whether v is the same in every iteration: defined outside the loop, a
  // constant, or a pure integer op of such values.
  bool Invariant(Value v, int depth = 0) const {
    if (!InLoop(v)) return true;
    const Inst i = f_.DefiningInst(v);
    if (!i.valid()) return false;
    const Opcode op = f_.opcode(i);
    if (op == Opcode::kIconst) return true;
    if (depth >= kMaxInvariantDepth || !IsPureInt(op)) return false;
    for (Value a : f_.args(i)) {
      if (!Invariant(a, depth + 1)) return false;
    }
    return true;
  }

  static bool IsPureInt(Opcode op) {
    switch (op) {
      case Opcode::kIadd: case Opcode::kIsub: case Opcode::kImul:
      case Opcode::kBand: case Opcode::kBor: case Opcode::kBxor:
      case Opcode::kIshl: case Opcode::kUshr: case Opcode::kSshr:
      case Opcode::kIaddImm: case Opcode::kImulImm: case Opcode::kBandImm:
      case Opcode::kBorImm: case Opcode::kBxorImm: case Opcode::kIshlImm:
      case Opcode::kUshrImm: case Opcode::kSshrImm:
      case Opcode::kUextend: case Opcode::kSextend: case Opcode::kIreduce:
        return true;
      default:
        return false;
    }
  }

  // An invariant value, available at the end of the preheader: in-loop
  // computations are copied there.
  Value Materialize(Value v) {
    if (!InLoop(v)) return v;
    if (auto it = materialized_.find(v.index); it != materialized_.end()) {
      return it->second;
    }
    const Inst i = f_.DefiningInst(v);
    std::vector<Value> args;
    for (Value a : f_.args(i)) args.push_back(Materialize(a));
    const ir::InstData& d = f_.inst(i);
    const Inst c = f_.CreateInst(d.opcode, d.ctrl_type, args);
    ir::InstData& cd = f_.mutable_inst(c);
    cd.code = f_.inst(i).code;
    cd.imm = f_.inst(i).imm;
    const Value r = f_.MakeResults(c);
    f_.InsertInstBefore(pre_jump_, c);
    materialized_[v.index] = r;
    return r;
  }

  Value EmitBefore(Inst at, Opcode op, Value x, int64_t imm) {
    const Inst i = f_.CreateInst(op, Type::kInvalid, {x});
    f_.mutable_inst(i).imm = imm;
    const Value r = f_.MakeResults(i);
    f_.InsertInstBefore(at, i);
    return r;
  }

  Value EmitBinaryBefore(Inst at, Opcode op, Value x, Value y) {
    const Inst i = f_.CreateInst(op, Type::kInvalid, {x, y});
    const Value r = f_.MakeResults(i);
    f_.InsertInstBefore(at, i);
    return r;
  }

  Value EmitConstBefore(Inst at, Type t, uint64_t c) {
    const Inst i = f_.CreateInst(Opcode::kIconst, t, {});
    f_.mutable_inst(i).imm = Imm(c, t);
    const Value r = f_.MakeResults(i);
    f_.InsertInstBefore(at, i);
    return r;
  }

  // s*x + bases + o in the preheader, for a preheader value x.
  Value EmitLine(const Affine& line, Type t, Value x) {
    const uint64_t m = Mask(t);
    uint64_t c = 0;
    Value acc;
    if (ConstOf(x, &c)) {
      c = c * line.scale;
    } else {
      acc = x;
      const uint64_t s = line.scale & m;
      if (s != 1) {
        // Lines of one IV with one scale share the scaled start.
        Value& scaled = scaled_[{x.index, s}];
        if (!scaled.valid()) {
          scaled = (s & (s - 1)) == 0
                       ? EmitBefore(pre_jump_, Opcode::kIshlImm, acc,
                                    __builtin_ctzll(s))
                       : EmitBefore(pre_jump_, Opcode::kImulImm, acc, Imm(s, t));
        }
        acc = scaled;
      }
    }
    c = (c + line.offset) & m;
    for (Value b : line.base) {
      if (!b.valid()) continue;
      const Value mb = Materialize(b);
      acc = acc.valid() ? EmitBinaryBefore(pre_jump_, Opcode::kIadd, acc, mb) : mb;
    }
    if (!acc.valid()) return EmitConstBefore(pre_jump_, t, c);
    if (c != 0) acc = EmitBefore(pre_jump_, Opcode::kIaddImm, acc, Imm(c, t));
    return acc;
  }

  // --- Affine expressions ---------------------------------------------

  const Affine* Get(Value v) const {
    auto it = aff_.find(v.index);
    return it == aff_.end() ? nullptr : &it->second;
  }

  // a + v for an invariant v.
  bool AddTerm(Affine* a, Value v, uint64_t m) const {
    uint64_t c = 0;
    if (ConstOf(v, &c)) {
      a->offset = (a->offset + c) & m;
      return true;
    }
    if (a->base[1].valid()) return false;
    a->base[1] = v;
    if (!a->base[0].valid() || a->base[1] < a->base[0]) {
      std::swap(a->base[0], a->base[1]);
    }
    return true;
  }

  bool Scale(Affine* a, uint64_t k, uint64_t m) const {
    if (a->num_bases() != 0) return false;
    a->scale = (a->scale * k) & m;
    a->offset = (a->offset * k) & m;
    return true;
  }

  void ComputeAffine(const ir::Loop& loop) {
    for (int k = 0; k < static_cast<int>(ivs_.size()); ++k) {
      Affine a;
      a.iv = k;
      a.scale = 1;
      aff_[ivs_[k].param.index] = a;
    }
    for (Block b : loop.blocks) {
      for (Inst i : f_.insts(b)) {
        const Opcode op = f_.opcode(i);
        if (!IsPureInt(op) || op == Opcode::kUextend ||
            op == Opcode::kSextend || op == Opcode::kIreduce) {
          continue;
        }
        const auto args = f_.args(i);
        const Affine* x = Get(args[0]);
        const Affine* y = args.size() > 1 ? Get(args[1]) : nullptr;
        if (!x && !y) continue;
        const Value r = f_.first_result(i);
        const uint64_t m = Mask(f_.value_type(r));
        Affine a;
        uint64_t c = 0;
        bool ok = false;
        switch (op) {
          case Opcode::kIaddImm:
            a = *x;
            a.offset = (a.offset + static_cast<uint64_t>(f_.inst(i).imm)) & m;
            ok = true;
            break;
          case Opcode::kIadd:
            if (x && y) {
              if (x->iv != y->iv || x->num_bases() + y->num_bases() > 2) break;
              a = *x;
              a.scale = (a.scale + y->scale) & m;
              a.offset = (a.offset + y->offset) & m;
              ok = true;
              for (Value v : y->base) {
                if (v.valid()) ok = ok && AddTerm(&a, v, m);
              }
            } else if (x && Invariant(args[1])) {
              a = *x;
              ok = AddTerm(&a, args[1], m);
            } else if (y && Invariant(args[0])) {
              a = *y;
              ok = AddTerm(&a, args[0], m);
            }
            break;
          case Opcode::kIsub:
            if (x && !y && ConstOf(args[1], &c)) {
              a = *x;
              a.offset = (a.offset - c) & m;
              ok = true;
            }
            break;
          case Opcode::kIshlImm:
            a = *x;
            ok = Scale(&a, uint64_t{1} << (f_.inst(i).imm & (ir::TypeBits(f_.value_type(r)) - 1)), m);
            break;
          case Opcode::kIshl:
            if (x && !y && ConstOf(args[1], &c)) {
              a = *x;
              ok = Scale(&a, uint64_t{1} << (c & (ir::TypeBits(f_.value_type(r)) - 1)), m);
            }
            break;
          case Opcode::kImulImm:
            a = *x;
            ok = Scale(&a, static_cast<uint64_t>(f_.inst(i).imm), m);
            break;
          case Opcode::kImul:
            if (x && !y && ConstOf(args[1], &c)) {
              a = *x;
              ok = Scale(&a, c, m);
            } else if (y && !x && ConstOf(args[0], &c)) {
              a = *y;
              ok = Scale(&a, c, m);
            }
            break;
          default:
            break;
        }
        if (ok) aff_[r.index] = a;
      }
    }
  }

  // Heap indexes affine in an IV (not the IV itself plus a constant: that
  // needs no new register), grouped by line.
  std::vector<Group> CollectGroups(const ir::Loop& loop) {
    std::vector<Group> groups;
    for (Block b : loop.blocks) {
      for (Inst i : f_.insts(b)) {
        const ir::InstFormat fmt = ir::GetOpcodeInfo(f_.opcode(i)).format;
        if (fmt != ir::InstFormat::kHeapLoad &&
            fmt != ir::InstFormat::kHeapStore &&
            fmt != ir::InstFormat::kAtomic) {
          continue;
        }
        const Value index = f_.args(i).back();
        const Affine* a = Get(index);
        if (!a || !f_.DefiningInst(index).valid() || a->scale == 0 ||
            (a->scale == 1 && a->num_bases() == 0)) {
          continue;
        }
        Group* g = nullptr;
        for (Group& h : groups) {
          if (h.line.SameLine(*a)) g = &h;
        }
        if (!g) {
          groups.push_back({*a, {}});
          g = &groups.back();
        }
        if (std::find(g->roots.begin(), g->roots.end(), index) ==
            g->roots.end()) {
          g->roots.push_back(index);
        }
      }
    }
    return groups;
  }

  // --- Profitability ----------------------------------------------------

  // What an instruction costs in the loop: a single-use shift by 1..3 (an
  // add takes it as a lea scale) and constants are free.
  uint32_t Cost(Inst i) const {
    const Opcode op = f_.opcode(i);
    if (op == Opcode::kIconst) return 0;
    if (uses_.count(f_.first_result(i)) != 1) return 1;
    uint64_t amount = 0;
    if (op == Opcode::kIshlImm) {
      amount = static_cast<uint64_t>(f_.inst(i).imm);
    } else if (op != Opcode::kIshl || !ConstOf(f_.args(i)[1], &amount)) {
      return 1;
    }
    amount &= ir::TypeBits(f_.value_type(f_.first_result(i))) - 1;
    return amount >= 1 && amount <= 3 ? 0 : 1;
  }

  uint32_t& Remaining(Value v) {
    auto [it, inserted] = remaining_.try_emplace(v.index, 0);
    if (inserted) it->second = uses_.count(v);
    return it->second;
  }

  // Drops i's uses of its operands; counts the in-loop pure instructions
  // that die with it.
  int Release(Inst i) {
    int saved = 0;
    for (Value a : f_.args(i)) {
      if (!InLoop(a)) continue;
      uint32_t& r = Remaining(a);
      if (r == 0 || --r != 0) continue;
      const Inst d = f_.DefiningInst(a);
      if (!d.valid() ||
          (!IsPureInt(f_.opcode(d)) && f_.opcode(d) != Opcode::kIconst)) {
        continue;
      }
      dying_.insert(d.index);
      saved += Cost(d) + Release(d);
    }
    return saved;
  }

  // Instructions saved per iteration by reducing `groups` of `iv`
  // (before the step adds); sets saved_iv_dies_, and *lftr / *exit when the
  // exit test is to be replaced.
  int Saved(const ir::Loop& loop, const Iv& iv,
            const std::vector<const Group*>& groups, ExitTest* exit,
            const Group** lftr) {
    remaining_.clear();
    dying_.clear();
    saved_iv_dies_ = false;
    *lftr = nullptr;
    int saved = 0;
    for (const Group* g : groups) {
      for (Value r : g->roots) {
        const Inst d = f_.DefiningInst(r);
        dying_.insert(d.index);
        if (r == g->roots[0]) saved += Cost(d);
        saved += Release(d);
      }
    }
    const uint32_t rp = Remaining(iv.param);
    const uint32_t rinc = Remaining(iv.inc);
    if (rp == 1 && rinc == num_back_edges_) {
      saved_iv_dies_ = true;
      return saved + 1;
    }
    const bool via_inc = rp == 1 && rinc == num_back_edges_ + 1;
    const bool via_param = rp == 2 && rinc == num_back_edges_;
    if (!via_inc && !via_param) return saved;
    const Group* odd = nullptr;
    for (const Group* g : groups) {
      if ((g->line.scale & 1) && (!odd || g->line.scale == 1)) odd = g;
    }
    if (!odd || !FindExitTest(loop, iv, via_inc, exit)) return saved;
    *lftr = odd;
    saved_iv_dies_ = true;
    return saved + 1;
  }

  bool FindExitTest(const ir::Loop& loop, const Iv& iv, bool via_inc,
                    ExitTest* exit) const {
    const Value target = via_inc ? iv.inc : iv.param;
    const Inst skip = f_.DefiningInst(iv.inc);
    for (Block b : loop.blocks) {
      for (Inst i : f_.insts(b)) {
        if (i == skip || dying_.contains(i.index)) continue;
        const auto args = f_.args(i);
        const int k = std::find(args.begin(), args.end(), target) - args.begin();
        if (k == static_cast<int>(args.size())) continue;
        const Opcode op = f_.opcode(i);
        if (op == Opcode::kBrif && via_inc) {
          *exit = {i, 0, true};
          return true;
        }
        if (op != Opcode::kIcmp) return false;
        const ir::IntCC cc = static_cast<ir::IntCC>(f_.inst(i).code);
        if (cc != ir::IntCC::kEq && cc != ir::IntCC::kNe) return false;
        if (args[1 - k] == target || !Invariant(args[1 - k])) return false;
        *exit = {i, k, via_inc};
        return true;
      }
    }
    return false;
  }

  // Whether the replaced test compares against a register (not a constant).
  bool NeedsEndRegister(const ExitTest& exit, const Group& g) const {
    if (g.line.num_bases() != 0) return true;
    if (f_.opcode(exit.inst) == Opcode::kBrif) return false;
    uint64_t c;
    return !ConstOf(f_.args(exit.inst)[1 - exit.iv_operand], &c);
  }

  // --- Rewriting --------------------------------------------------------

  // Makes the group's derived IV; returns (d, d_next).
  std::pair<Value, Value> Apply(const Iv& iv, const Group& g) {
    const Type t = iv.type;
    const uint64_t m = Mask(t);
    const Value init_p = f_.List(f_.block_calls(pre_jump_)[0].args)[iv.index];
    const Value init = EmitLine(g.line, t, init_p);
    // The representative becomes the header parameter itself, so its uses
    // need no renaming.
    const Value d = g.roots[0];
    f_.RemoveInst(f_.DefiningInst(d));
    f_.AppendBlockParamValue(header_, d, t);
    f_.AppendBlockCallArg(pre_jump_, 0, init);
    for (size_t k = 1; k < g.roots.size(); ++k) {
      const Inst i = f_.DefiningInst(g.roots[k]);
      ir::InstData& id = f_.mutable_inst(i);
      id.opcode = Opcode::kIaddImm;
      id.ctrl_type = Type::kInvalid;
      id.code = 0;
      id.args = f_.MakeList({d});
      id.imm = Imm((aff_[g.roots[k].index].offset - g.line.offset) & m, t);
    }
    const Inst inc = f_.DefiningInst(iv.inc);
    const Value next = EmitBefore(f_.next_inst(inc), Opcode::kIaddImm, d,
                                  Imm((g.line.scale * iv.step) & m, t));
    for (Inst br : latches_) {
      const auto calls = f_.block_calls(br);
      for (uint32_t c = 0; c < calls.size(); ++c) {
        if (calls[c].block == header_) f_.AppendBlockCallArg(br, c, next);
      }
    }
    return {d, next};
  }

  void ReplaceTest(const Iv& iv, const Group& g, const ExitTest& exit, Value d,
                   Value next) {
    const Value derived = exit.uses_inc ? next : d;
    if (f_.opcode(exit.inst) == Opcode::kBrif) {
      // brif inc == brif (inc != 0) == brif (next != line(0)).
      const Value end = EmitLine(g.line, iv.type, EmitConstBefore(pre_jump_, iv.type, 0));
      const Inst cmp = f_.CreateInst(Opcode::kIcmp, Type::kInvalid, {derived, end});
      f_.mutable_inst(cmp).code = static_cast<uint8_t>(ir::IntCC::kNe);
      const Value c = f_.MakeResults(cmp);
      f_.InsertInstBefore(exit.inst, cmp);
      f_.mutable_args(exit.inst)[0] = c;
      return;
    }
    const Value bound = f_.args(exit.inst)[1 - exit.iv_operand];
    const Value end = EmitLine(g.line, iv.type, Materialize(bound));
    auto args = f_.mutable_args(exit.inst);
    args[exit.iv_operand] = derived;
    args[1 - exit.iv_operand] = end;
  }

  ir::Function& f_;
  const ir::ControlFlowGraph& cfg_;
  ir::UseCounts uses_;
  bool uses_computed_ = false;
  std::vector<uint32_t> stamp_;
  uint32_t mark_ = 0;
  Block header_;
  Inst pre_jump_;
  std::vector<Inst> latches_;
  uint32_t num_back_edges_ = 0;
  std::vector<Iv> ivs_;
  absl::flat_hash_map<uint32_t, Affine> aff_;
  absl::flat_hash_map<uint32_t, Value> materialized_;
  absl::flat_hash_map<std::pair<uint32_t, uint64_t>, Value> scaled_;
  absl::flat_hash_map<uint32_t, uint32_t> remaining_;
  // Instructions that the rewrite leaves dead (the roots and what only
  // they used): not the IV's other uses.
  absl::flat_hash_set<uint32_t> dying_;
  bool saved_iv_dies_ = false;
};

}  // namespace

bool ReduceStrength(ir::Function& f, const ir::ControlFlowGraph& cfg,
                    const ir::LoopAnalysis& loops) {
  LoopReducer reducer(f, cfg);
  bool changed = false;
  // Innermost first; rewriting adds no blocks or edges, so the analyses
  // stay valid for the enclosing loops.
  for (const ir::Loop& l : loops.loops()) changed |= reducer.Run(l);
  return changed;
}

bool StrengthReducePass::Run(ir::Function& f) {
  if (!ir::MayHaveLoop(f)) return false;
  ir::ControlFlowGraph cfg(f);
  ir::DominatorTree dt(f, cfg);
  ir::LoopAnalysis loops(f, cfg, dt);
  return ReduceStrength(f, cfg, loops);
}

}  // namespace kiln::opt
