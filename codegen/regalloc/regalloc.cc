#include "codegen/regalloc/regalloc.h"

#include <algorithm>
#include <array>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kiln::regalloc {
namespace {

using isa::Allocation;
using isa::kInvalidVReg;
using isa::Operand;
using isa::OperandKind;
using isa::OperandPos;
using isa::PReg;
using isa::RegClass;
using isa::VCode;
using isa::VReg;

struct Range {
  uint32_t from, to;  // [from, to)
};

struct FixedBlock {
  uint32_t from, to;
  VReg owner;  // kInvalidVReg for clobbers
};

// The points an operand occupies at instruction i.
inline void OperandRange(const Operand& op, uint32_t i, uint32_t* from, uint32_t* to) {
  switch (op.kind) {
    case OperandKind::kUse:
      *from = 2 * i;
      *to = op.pos == OperandPos::kLate ? 2 * i + 2 : 2 * i + 1;
      return;
    case OperandKind::kDef:
      *from = op.pos == OperandPos::kEarly ? 2 * i : 2 * i + 1;
      *to = 2 * i + 2;
      return;
    case OperandKind::kMod:
      *from = 2 * i;
      *to = 2 * i + 2;
      return;
  }
}

inline bool IsUse(OperandKind k) { return k != OperandKind::kDef; }
inline bool IsDef(OperandKind k) { return k != OperandKind::kUse; }

constexpr float kInfiniteWeight = std::numeric_limits<float>::infinity();
// Coalescing partners remembered per vreg (see AddPartners).
constexpr int kMaxPartners = 3;

// The allocator's working storage, kept per thread and reused from one
// function to the next: only capacity carries over (every array is
// re-initialized before it is read), so nothing is allocated per vreg or
// per pass once the storage has grown to the largest function's needs.
struct Scratch {
  std::vector<VReg> op_vreg;
  std::vector<RegClass> cls;
  std::vector<uint8_t> tiny;
  std::vector<uint8_t> region;
  std::vector<uint32_t> reload_inst;
  std::vector<uint32_t> emitted;
  std::vector<uint32_t> last_def;
  std::vector<uint8_t> spilled;
  std::vector<int32_t> slot;
  std::vector<float> loop_weight;
  // Per vreg; may be longer than the current vreg count (the entries past
  // it are stale and never read).
  std::vector<std::vector<Range>> ranges;
  std::vector<float> weight;
  std::vector<int8_t> hint;
  std::vector<VReg> partner;  // kMaxPartners per vreg
  std::vector<int8_t> assign;
  std::array<std::vector<FixedBlock>, PReg::kMaxIndex> fixed;
  std::array<std::vector<VReg>, PReg::kMaxIndex> active;
  // BuildIntervals.
  std::vector<uint32_t> def_stamp, gidx;
  std::vector<VReg> globals;
  std::vector<uint64_t> gen, kill, live_in, live_out, live;
  // Scan / RewriteSpilled / BuildOutput.
  std::vector<VReg> order, region_of, touched;
  std::vector<std::pair<VReg, VReg>> defs;
  std::vector<int32_t> loop_delta;
};

class Allocator {
 public:
  Allocator(const VCode& code, const MachineEnv& env, Scratch& s)
      : code_(code), env_(env), s_(s), op_vreg_(s.op_vreg), cls_(s.cls),
        tiny_(s.tiny), region_(s.region), reload_inst_(s.reload_inst),
        emitted_(s.emitted), last_def_(s.last_def), spilled_(s.spilled),
        slot_(s.slot), loop_weight_(s.loop_weight), ranges_(s.ranges),
        weight_(s.weight), hint_(s.hint), partner_(s.partner),
        assign_(s.assign), fixed_(s.fixed), active_(s.active) {}

  absl::StatusOr<Output> Run() {
    const uint32_t nv = code_.num_vregs();
    op_vreg_.clear();
    op_vreg_.reserve(code_.all_operands().size());
    for (const Operand& op : code_.all_operands()) {
      if (op.vreg >= nv) {
        return absl::InvalidArgumentError(
            absl::StrCat("regalloc: operand names unknown vreg v", op.vreg));
      }
      op_vreg_.push_back(op.vreg);
    }
    cls_.resize(nv);
    for (VReg v = 0; v < nv; ++v) cls_[v] = code_.vreg_class(v);
    tiny_.assign(nv, 0);
    region_.assign(nv, 0);
    reload_inst_.assign(nv, ~0u);
    spilled_.assign(nv, 0);
    slot_.assign(nv, -1);
    ComputeLoopDepth();
    Output out;
    for (int pass = 0;; ++pass) {
      // Every pass spills at least one vreg that is not tiny and tiny vregs
      // never spill, so this terminates; the cap only guards against bugs.
      if (pass > 10000) return absl::InternalError("regalloc: no convergence");
      absl::Status st = BuildIntervals();
      if (!st.ok()) return st;
      absl::StatusOr<bool> spilled = Scan();
      if (!spilled.ok()) return spilled.status();
      out.num_passes = pass + 1;
      if (!*spilled) break;
      // After a few passes, stop splitting into regions: spill everywhere
      // so the remaining passes converge quickly.
      RewriteSpilled(/*regions=*/pass < 8);
    }
    BuildOutput(&out);
    return out;
  }

 private:
  VReg NewRegion(RegClass cls, int32_t slot, uint32_t reload_inst) {
    cls_.push_back(cls);
    tiny_.push_back(0);
    region_.push_back(1);
    reload_inst_.push_back(reload_inst);
    spilled_.push_back(0);
    slot_.push_back(slot);
    return static_cast<VReg>(cls_.size() - 1);
  }

  VReg NewTiny(RegClass cls, int32_t slot) {
    cls_.push_back(cls);
    region_.push_back(0);
    reload_inst_.push_back(~0u);
    tiny_.push_back(1);
    spilled_.push_back(0);
    slot_.push_back(slot);
    return static_cast<VReg>(cls_.size() - 1);
  }

  // Loop depth from back edges in layout order (exact for reducible CFGs laid
  // out in reverse post-order, a fine estimate otherwise).
  void ComputeLoopDepth() {
    const uint32_t nb = code_.num_blocks();
    std::vector<int32_t>& delta = s_.loop_delta;
    delta.assign(nb + 1, 0);
    for (uint32_t b = 0; b < nb; ++b) {
      for (const VCode::Edge& e : code_.succs(b)) {
        if (e.block <= b) {
          delta[e.block] += 1;
          delta[b + 1] -= 1;
        }
      }
    }
    loop_weight_.resize(nb);
    int32_t depth = 0;
    for (uint32_t b = 0; b < nb; ++b) {
      depth += delta[b];
      float w = 1;
      for (int d = 0; d < std::min(depth, 5); ++d) w *= 10;
      loop_weight_[b] = w;
    }
  }

  void AddRange(VReg v, uint32_t from, uint32_t to) {
    std::vector<Range>& r = ranges_[v];
    if (!r.empty() && to >= r.back().from) {
      r.back().from = std::min(r.back().from, from);
      r.back().to = std::max(r.back().to, to);
    } else {
      r.push_back({from, to});
    }
  }

  absl::Status BuildIntervals() {
    const uint32_t nv = static_cast<uint32_t>(cls_.size());
    const uint32_t nb = code_.num_blocks();
    const std::vector<Operand>& ops = code_.all_operands();
    auto test = [](const std::vector<uint64_t>& s, size_t base, uint32_t v) {
      return (s[base + v / 64] >> (v % 64)) & 1;
    };
    auto set = [](std::vector<uint64_t>& s, size_t base, uint32_t v) {
      s[base + v / 64] |= uint64_t{1} << (v % 64);
    };
    auto clear = [](std::vector<uint64_t>& s, size_t base, uint32_t v) {
      s[base + v / 64] &= ~(uint64_t{1} << (v % 64));
    };
    // Spilled vregs live in their slots; after the rewrite they only appear
    // as block params / edge args and take no part in liveness. Tiny and
    // region vregs are block-local.
    auto tracked = [&](VReg v) { return !tiny_[v] && !region_[v] && !spilled_[v]; };

    // 1. Global vregs: used in a block before (or without) a def there.
    //    Only they get bits in the per-block sets, which keeps the
    //    dataflow's memory proportional to blocks x cross-block values.
    std::vector<uint32_t>& def_stamp = s_.def_stamp;
    std::vector<uint32_t>& gidx = s_.gidx;
    std::vector<VReg>& globals = s_.globals;
    def_stamp.assign(nv, 0);
    gidx.assign(nv, ~0u);
    globals.clear();
    auto upward_use = [&](VReg v, uint32_t b) {
      if (def_stamp[v] != b + 1 && gidx[v] == ~0u) {
        gidx[v] = static_cast<uint32_t>(globals.size());
        globals.push_back(v);
      }
    };
    for (uint32_t b = 0; b < nb; ++b) {
      const VCode::Block& blk = code_.block(b);
      for (VReg p : code_.params(b)) def_stamp[p] = b + 1;
      for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
        const VCode::InstInfo& info = code_.inst(i);
        for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
          VReg v = op_vreg_[k];
          if (tracked(v) && IsUse(ops[k].kind)) upward_use(v, b);
        }
        for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
          VReg v = op_vreg_[k];
          if (tracked(v) && IsDef(ops[k].kind)) def_stamp[v] = b + 1;
        }
      }
      for (const VCode::Edge& e : code_.succs(b)) {
        for (VReg a : code_.edge_args(e)) {
          if (tracked(a)) upward_use(a, b);
        }
      }
    }
    const uint32_t ng = static_cast<uint32_t>(globals.size());
    const uint32_t words = (ng + 63) / 64;
    // 4 arrays of nb x words; refuse absurd inputs instead of exhausting
    // memory (about 256 MiB at the limit).
    constexpr uint64_t kMaxWords = uint64_t{8} << 20;
    if (uint64_t{nb} * words > kMaxWords) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "regalloc: function too large (", nb, " blocks x ", ng, " values live across blocks)"));
    }

    // 2. gen/kill over global indices, then the backward fixpoint.
    std::vector<uint64_t>& gen = s_.gen;
    std::vector<uint64_t>& kill = s_.kill;
    gen.assign(size_t{nb} * words, 0);
    kill.assign(size_t{nb} * words, 0);
    for (uint32_t b = 0; b < nb; ++b) {
      const size_t base = size_t{b} * words;
      const VCode::Block& blk = code_.block(b);
      for (VReg p : code_.params(b)) {
        if (tracked(p) && gidx[p] != ~0u) set(kill, base, gidx[p]);
      }
      for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
        const VCode::InstInfo& info = code_.inst(i);
        for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
          VReg v = op_vreg_[k];
          if (!tracked(v) || gidx[v] == ~0u || !IsUse(ops[k].kind)) continue;
          if (!test(kill, base, gidx[v])) set(gen, base, gidx[v]);
        }
        for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
          VReg v = op_vreg_[k];
          if (!tracked(v) || gidx[v] == ~0u || !IsDef(ops[k].kind)) continue;
          set(kill, base, gidx[v]);
        }
      }
      for (const VCode::Edge& e : code_.succs(b)) {
        for (VReg a : code_.edge_args(e)) {
          if (tracked(a) && gidx[a] != ~0u && !test(kill, base, gidx[a])) {
            set(gen, base, gidx[a]);
          }
        }
      }
    }
    std::vector<uint64_t>& live_in = s_.live_in;
    std::vector<uint64_t>& live_out = s_.live_out;
    live_in.assign(size_t{nb} * words, 0);
    live_out.assign(size_t{nb} * words, 0);
    for (bool changed = true; changed;) {
      changed = false;
      for (uint32_t b = nb; b-- > 0;) {
        const size_t base = size_t{b} * words;
        for (const VCode::Edge& e : code_.succs(b)) {
          const size_t sbase = size_t{e.block} * words;
          for (uint32_t w = 0; w < words; ++w) live_out[base + w] |= live_in[sbase + w];
        }
        for (uint32_t w = 0; w < words; ++w) {
          uint64_t in = gen[base + w] | (live_out[base + w] & ~kill[base + w]);
          if (in != live_in[base + w]) {
            live_in[base + w] = in;
            changed = true;
          }
        }
      }
    }
    if (nb > 0) {
      for (uint32_t w = 0; w < words; ++w) {
        if (live_in[w] != 0) {
          VReg v = globals[w * 64 + __builtin_ctzll(live_in[w])];
          return absl::InvalidArgumentError(
              absl::StrCat("regalloc: v", v, " is used before it is defined"));
        }
      }
    }

    // Keep every vector's capacity (across passes and functions): grow,
    // never shrink, and clear the entries in use.
    if (ranges_.size() < nv) ranges_.resize(nv);
    for (VReg v = 0; v < nv; ++v) ranges_[v].clear();
    weight_.assign(nv, 0);
    hint_.assign(nv, -1);
    partner_.assign(size_t{nv} * kMaxPartners, kInvalidVReg);
    std::vector<uint64_t>& live = s_.live;
    live.assign((nv + 63) / 64, 0);
    for (uint32_t b = nb; b-- > 0;) {
      const VCode::Block& blk = code_.block(b);
      const uint32_t bfrom = 2 * blk.inst_begin, bto = 2 * blk.inst_end;
      const float lw = loop_weight_[b];
      for (uint32_t w = 0; w < words; ++w) {
        for (uint64_t m = live_out[size_t{b} * words + w]; m != 0; m &= m - 1) {
          VReg v = globals[w * 64 + __builtin_ctzll(m)];
          set(live, 0, v);
          AddRange(v, bfrom, bto);
        }
      }
      for (uint32_t i = blk.inst_end; i-- > blk.inst_begin;) {
        if (i + 1 == blk.inst_end) {
          for (const VCode::Edge& e : code_.succs(b)) {
            auto params = code_.params(e.block);
            auto args = code_.edge_args(e);
            for (size_t j = 0; j < args.size(); ++j) {
              VReg a = args[j];
              if (spilled_[a]) continue;
              AddRange(a, bfrom, 2 * i + 1);
              set(live, 0, a);
              weight_[a] += lw;
              // Coalescing hint: a block parameter prefers the register of
              // an argument passed to it (and vice versa).
              if (j < params.size()) AddPartners(params[j], a);
            }
          }
        }
        const VCode::InstInfo& info = code_.inst(i);
        const uint32_t kb = info.op_begin, ke = info.op_begin + info.op_count;
        for (uint32_t k = kb; k < ke; ++k) {
          const Operand& op = ops[k];
          VReg v = op_vreg_[k];
          if (tiny_[v]) {
            uint32_t from = 0, to = 0;
            OperandRange(op, i, &from, &to);
            ranges_[v].assign(1, Range{from, to});
            weight_[v] = kInfiniteWeight;
            continue;
          }
          if (!IsDef(op.kind)) continue;
          weight_[v] += lw;
          uint32_t pos = (op.kind == OperandKind::kDef && op.pos == OperandPos::kEarly)
                             ? 2 * i : 2 * i + 1;
          if (test(live, 0, v)) {
            ranges_[v].back().from = pos;
          } else {
            AddRange(v, pos, 2 * i + 2);
          }
          clear(live, 0, v);
        }
        for (uint32_t k = kb; k < ke; ++k) {
          const Operand& op = ops[k];
          VReg v = op_vreg_[k];
          if (tiny_[v] || !IsUse(op.kind)) continue;
          weight_[v] += lw;
          uint32_t end = (op.kind == OperandKind::kUse && op.pos == OperandPos::kLate)
                             ? 2 * i + 2 : 2 * i + 1;
          AddRange(v, bfrom, end);
          set(live, 0, v);
        }
        // Region vregs start with a reload just before their first use.
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          if (region_[v] && reload_inst_[v] == i && test(live, 0, v)) {
            ranges_[v].back().from = 2 * i;
            clear(live, 0, v);
          }
        }
        if ((info.flags & (VCode::kIsMove | VCode::kHintSame)) && info.op_count == 2) {
          AddPartners(op_vreg_[kb], op_vreg_[kb + 1]);
        }
      }
      for (VReg p : code_.params(b)) {
        if (spilled_[p]) continue;
        if (test(live, 0, p)) {
          ranges_[p].back().from = bfrom;
        } else {
          AddRange(p, bfrom, bfrom + 1);
        }
        clear(live, 0, p);
        weight_[p] += lw;
      }
      // What is still live is exactly this block's live-in set (global
      // vregs): clear it for the next block without touching every word.
      for (uint32_t w = 0; w < words; ++w) {
        for (uint64_t m = live_in[size_t{b} * words + w]; m != 0; m &= m - 1) {
          clear(live, 0, globals[w * 64 + __builtin_ctzll(m)]);
        }
      }
    }
    for (VReg v = 0; v < nv; ++v) {
      std::vector<Range>& r = ranges_[v];
      if (r.empty()) continue;
      std::reverse(r.begin(), r.end());
      if (!tiny_[v]) {
        uint32_t len = 0;
        for (const Range& x : r) len += x.to - x.from;
        weight_[v] = weight_[v] / static_cast<float>(len);
      }
    }

    // Fixed constraints and clobbers per physical register.
    for (auto& f : fixed_) f.clear();
    for (uint32_t i = 0; i < code_.num_insts(); ++i) {
      const VCode::InstInfo& info = code_.inst(i);
      isa::RegSet fixed_defs;
      for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
        const Operand& op = ops[k];
        if (op.fixed < 0) continue;
        VReg v = op_vreg_[k];
        uint32_t from = 0, to = 0;
        OperandRange(op, i, &from, &to);
        fixed_[op.fixed].push_back({from, to, v});
        if (hint_[v] < 0) hint_[v] = op.fixed;
        if (IsDef(op.kind)) fixed_defs.Add(PReg::FromIndex(op.fixed));
      }
      for (uint64_t m = info.clobbers.bits() & ~fixed_defs.bits(); m != 0; m &= m - 1) {
        fixed_[__builtin_ctzll(m)].push_back({2 * i + 1, 2 * i + 2, kInvalidVReg});
      }
    }
    for (auto& f : fixed_) {
      std::sort(f.begin(), f.end(),
                [](const FixedBlock& a, const FixedBlock& b) { return a.from < b.from; });
    }
    return absl::OkStatus();
  }

  // Records a and b as coalescing partners of each other (a move between
  // them, or a block parameter and an argument passed to it). Each vreg
  // keeps its first kMaxPartners (in the backward walk: the last ones in
  // layout, e.g. a loop parameter's back-edge argument before its entry
  // argument); the scan tries each assigned partner's register in turn.
  void AddPartners(VReg a, VReg b) {
    auto add = [this](VReg v, VReg p) {
      VReg* slots = &partner_[size_t{v} * kMaxPartners];
      for (int k = 0; k < kMaxPartners; ++k) {
        if (slots[k] == p) return;
        if (slots[k] == kInvalidVReg) {
          slots[k] = p;
          return;
        }
      }
    };
    add(a, b);
    add(b, a);
  }

  bool OverlapsRange(VReg v, uint32_t from, uint32_t to) const {
    const std::vector<Range>& r = ranges_[v];
    auto it = std::partition_point(r.begin(), r.end(),
                                   [&](const Range& x) { return x.to <= from; });
    return it != r.end() && it->from < to;
  }

  bool Overlaps(VReg a, VReg b) const {
    const std::vector<Range>& x = ranges_[a];
    const std::vector<Range>& y = ranges_[b];
    size_t i = 0, j = 0;
    while (i < x.size() && j < y.size()) {
      if (x[i].to <= y[j].from) {
        ++i;
      } else if (y[j].to <= x[i].from) {
        ++j;
      } else {
        return true;
      }
    }
    return false;
  }

  bool FixedConflict(VReg v, int p) const {
    const std::vector<FixedBlock>& blocks = fixed_[p];
    const uint32_t start = ranges_[v].front().from, end = ranges_[v].back().to;
    auto it = std::partition_point(blocks.begin(), blocks.end(),
                                   [&](const FixedBlock& b) { return b.from + 2 <= start; });
    // Blocks are sorted by start and v's ranges too: one merged walk.
    const std::vector<Range>& r = ranges_[v];
    size_t j = 0;
    for (; it != blocks.end() && it->from < end; ++it) {
      if (it->owner == v) continue;
      while (j < r.size() && r[j].to <= it->from) ++j;
      if (j == r.size()) return false;
      if (r[j].from < it->to) return true;
    }
    return false;
  }

  // Drops expired intervals of register p; true if an active one overlaps v.
  bool ActiveConflict(VReg v, int p, uint32_t start) {
    std::vector<VReg>& act = active_[p];
    bool conflict = false;
    for (size_t i = 0; i < act.size();) {
      VReg u = act[i];
      if (ranges_[u].back().to <= start) {
        act[i] = act.back();
        act.pop_back();
        continue;
      }
      if (!conflict && Overlaps(u, v)) conflict = true;
      ++i;
    }
    return conflict;
  }

  bool TryAssign(VReg v, int p, uint32_t start) {
    if (p < 0) return false;
    if (!env_allowed_[p] || PReg::FromIndex(p).cls() != cls_[v]) return false;
    if (FixedConflict(v, p) || ActiveConflict(v, p, start)) return false;
    assign_[v] = static_cast<int8_t>(p);
    active_[p].push_back(v);
    return true;
  }

  absl::StatusOr<bool> Scan() {
    const uint32_t nv = static_cast<uint32_t>(cls_.size());
    env_allowed_.fill(false);
    for (int c = 0; c < isa::kNumRegClasses; ++c) {
      for (PReg r : env_.allocatable[c]) env_allowed_[r.index()] = true;
    }
    std::vector<VReg>& order = s_.order;
    order.clear();
    order.reserve(nv);
    for (VReg v = 0; v < nv; ++v) {
      if (!ranges_[v].empty() && !(spilled_[v] && !tiny_[v])) order.push_back(v);
    }
    std::sort(order.begin(), order.end(), [&](VReg a, VReg b) {
      uint32_t fa = ranges_[a].front().from, fb = ranges_[b].front().from;
      if (fa != fb) return fa < fb;
      return tiny_[a] > tiny_[b];
    });
    for (auto& a : active_) a.clear();
    assign_.assign(nv, -1);
    bool new_spill = false;
    for (VReg v : order) {
      if (spilled_[v]) continue;  // evicted earlier in this pass
      const uint32_t start = ranges_[v].front().from;
      const int cls = static_cast<int>(cls_[v]);
      if (TryAssign(v, hint_[v], start)) continue;
      bool done = false;
      for (int k = 0; k < kMaxPartners && !done; ++k) {
        const VReg partner = partner_[size_t{v} * kMaxPartners + k];
        if (partner == kInvalidVReg) break;
        done = assign_[partner] >= 0 && TryAssign(v, assign_[partner], start);
      }
      if (done) continue;
      for (PReg r : env_.allocatable[cls]) {
        if (TryAssign(v, r.index(), start)) {
          done = true;
          break;
        }
      }
      if (done) continue;
      // No free register: evict the cheapest set or spill v.
      int best_p = -1;
      float best_cost = kInfiniteWeight;
      for (PReg r : env_.allocatable[cls]) {
        const int p = r.index();
        if (FixedConflict(v, p)) continue;
        float cost = 0;
        bool ok = true;
        for (VReg u : active_[p]) {
          if (!Overlaps(u, v)) continue;
          if (tiny_[u]) {
            ok = false;
            break;
          }
          cost = std::max(cost, weight_[u]);
        }
        if (ok && cost < best_cost) {
          best_cost = cost;
          best_p = p;
        }
      }
      if (best_p >= 0 && (tiny_[v] || best_cost < weight_[v])) {
        std::vector<VReg>& act = active_[best_p];
        for (size_t i = 0; i < act.size();) {
          VReg u = act[i];
          if (Overlaps(u, v)) {
            spilled_[u] = 1;
            assign_[u] = -1;
            act[i] = act.back();
            act.pop_back();
          } else {
            ++i;
          }
        }
        assign_[v] = static_cast<int8_t>(best_p);
        act.push_back(v);
        new_spill = true;
        continue;
      }
      if (tiny_[v]) {
        return absl::InternalError(absl::StrCat(
            "regalloc: an instruction needs more registers than available (at point ",
            start, ")"));
      }
      spilled_[v] = 1;
      new_spill = true;
    }
    return new_spill;
  }

  void RewriteSpilled(bool regions) {
    const uint32_t nv = static_cast<uint32_t>(cls_.size());
    for (VReg v = 0; v < nv; ++v) {
      if (spilled_[v] && !tiny_[v] && slot_[v] < 0) {
        slot_[v] = static_cast<int32_t>(num_slots_++);
        ++num_spilled_;
      }
    }
    // Spilled vregs from earlier passes' regions: spill everywhere (one
    // short-lived vreg per operand). Others: split into per-region vregs
    // (a region is a stretch of a block between calls), reloaded once at
    // the region's first use and stored after every def.
    const std::vector<Operand>& ops = code_.all_operands();
    std::vector<VReg>& region_of = s_.region_of;
    std::vector<VReg>& touched = s_.touched;
    region_of.assign(nv, kInvalidVReg);
    touched.clear();
    auto reset = [&] {
      for (VReg v : touched) region_of[v] = kInvalidVReg;
      touched.clear();
    };
    for (uint32_t b = 0; b < code_.num_blocks(); ++b) {
      reset();
      const VCode::Block& blk = code_.block(b);
      for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
        const VCode::InstInfo& info = code_.inst(i);
        const uint32_t kb = info.op_begin, ke = info.op_begin + info.op_count;
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          if (!spilled_[v] || tiny_[v] || v >= nv) continue;
          if (region_[v] || !regions) {
            op_vreg_[k] = NewTiny(cls_[v], slot_[v]);
            continue;
          }
          if (!IsUse(ops[k].kind)) continue;
          if (region_of[v] == kInvalidVReg) {
            region_of[v] = NewRegion(cls_[v], slot_[v], i);
            touched.push_back(v);
          }
          op_vreg_[k] = region_of[v];
        }
        // Defs start a new region value (a Mod keeps its region vreg).
        std::vector<std::pair<VReg, VReg>>& defs = s_.defs;
        defs.clear();
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          if (ops[k].kind != OperandKind::kDef || v >= nv || !spilled_[v] || tiny_[v] ||
              region_[v]) {
            continue;
          }
          VReg r = NewRegion(cls_[v], slot_[v], ~0u);
          op_vreg_[k] = r;
          defs.push_back({v, r});
        }
        if ((info.flags & VCode::kIsCall) || !info.clobbers.empty()) reset();
        for (auto [v, r] : defs) {
          if (region_of[v] == kInvalidVReg) touched.push_back(v);
          region_of[v] = r;
        }
      }
    }
    // A region with a single operand is exactly a tiny vreg (reload just
    // before, store just after): make it one, so it cannot be spilled again
    // and cost another pass.
    const uint32_t total = static_cast<uint32_t>(cls_.size());
    std::vector<uint32_t> count(total - nv, 0);
    for (VReg v : op_vreg_) {
      if (v >= nv && region_[v]) ++count[v - nv];
    }
    for (VReg r = nv; r < total; ++r) {
      if (region_[r] && count[r - nv] == 1) {
        region_[r] = 0;
        tiny_[r] = 1;
        reload_inst_[r] = ~0u;
      }
    }
  }

  Allocation Loc(VReg v) const {
    if (tiny_[v]) return Allocation::Reg(PReg::FromIndex(assign_[v]));
    if (spilled_[v]) return Allocation::Stack(static_cast<uint32_t>(slot_[v]));
    if (assign_[v] >= 0) return Allocation::Reg(PReg::FromIndex(assign_[v]));
    return Allocation();
  }

  void AddEdit(Output* out, uint32_t pos, Allocation from, Allocation to, RegClass cls) {
    if (from == to) return;
    if (to.is_reg()) out->used_regs.Add(to.reg());
    out->edits.push_back(Edit{pos, Move{from, to, cls}});
  }

  void BuildOutput(Output* out) {
    const std::vector<Operand>& ops = code_.all_operands();
    out->num_spill_slots = num_slots_;
    out->num_spilled_vregs = num_spilled_;
    out->allocs.resize(ops.size());
    emitted_.assign(cls_.size(), 0);
    last_def_.assign(cls_.size(), 0);
    for (uint32_t i = 0; i < code_.num_insts(); ++i) {
      const VCode::InstInfo& info = code_.inst(i);
      for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
        if (IsDef(ops[k].kind)) last_def_[op_vreg_[k]] = i;
      }
    }
    out->vreg_locs.resize(code_.num_vregs());
    for (VReg v = 0; v < code_.num_vregs(); ++v) out->vreg_locs[v] = Loc(v);
    for (VReg v = 0; v < cls_.size(); ++v) {
      if (assign_[v] >= 0) out->used_regs.Add(PReg::FromIndex(assign_[v]));
    }
    out->edge_moves_begin.assign(code_.num_edges() + 1, 0);
    std::vector<Move> parallel;
    auto edge_parallel = [&](const VCode::Edge& e, uint32_t succ_block) {
      parallel.clear();
      auto args = code_.edge_args(e);
      auto params = code_.params(succ_block);
      for (size_t j = 0; j < args.size() && j < params.size(); ++j) {
        Allocation to = Loc(params[j]);
        if (to.is_none()) continue;
        parallel.push_back(Move{Loc(args[j]), to, cls_[params[j]]});
      }
    };
    std::vector<Move> seq;
    for (uint32_t b = 0; b < code_.num_blocks(); ++b) {
      const VCode::Block& blk = code_.block(b);
      for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
        const VCode::InstInfo& info = code_.inst(i);
        const uint32_t kb = info.op_begin, ke = info.op_begin + info.op_count;
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          out->allocs[k] = ops[k].fixed >= 0
                               ? Allocation::Reg(PReg::FromIndex(ops[k].fixed))
                               : Loc(v);
          if (ops[k].fixed >= 0) out->used_regs.Add(PReg::FromIndex(ops[k].fixed));
        }
        // Before: region reloads, tiny reloads, then moves into fixed
        // registers.
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          if (region_[v] && reload_inst_[v] == i && !spilled_[v] && emitted_[v] != 2 * i + 1) {
            emitted_[v] = 2 * i + 1;
            AddEdit(out, 2 * i, Allocation::Stack(static_cast<uint32_t>(slot_[v])), Loc(v),
                    cls_[v]);
          }
        }
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          if (tiny_[v] && IsUse(ops[k].kind)) {
            AddEdit(out, 2 * i, Allocation::Stack(static_cast<uint32_t>(slot_[v])), Loc(v), cls_[v]);
          }
        }
        for (uint32_t k = kb; k < ke; ++k) {
          if (ops[k].fixed >= 0 && IsUse(ops[k].kind)) {
            VReg v = op_vreg_[k];
            AddEdit(out, 2 * i, Loc(v), out->allocs[k], cls_[v]);
          }
        }
        if (i + 1 == blk.inst_end && blk.succ_end - blk.succ_begin == 1 &&
            info.op_count == 0) {
          const VCode::Edge& e = code_.succs(b)[0];
          edge_parallel(e, e.block);
          seq.clear();
          SequentializeMoves(parallel, env_.scratch, &seq);
          for (const Move& m : seq) AddEdit(out, 2 * i, m.from, m.to, m.cls);
        }
        // After: moves out of fixed registers, then spill stores.
        for (uint32_t k = kb; k < ke; ++k) {
          if (ops[k].fixed >= 0 && IsDef(ops[k].kind)) {
            VReg v = op_vreg_[k];
            AddEdit(out, 2 * i + 1, out->allocs[k], Loc(v), cls_[v]);
          }
        }
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          // Only the region's last def needs storing: the slot is read
          // after the region (past a call, on an edge), never inside it.
          if (region_[v] && IsDef(ops[k].kind) && !spilled_[v] && last_def_[v] == i &&
              emitted_[v] != 2 * i + 2) {
            emitted_[v] = 2 * i + 2;
            AddEdit(out, 2 * i + 1, Loc(v), Allocation::Stack(static_cast<uint32_t>(slot_[v])),
                    cls_[v]);
          }
        }
        for (uint32_t k = kb; k < ke; ++k) {
          VReg v = op_vreg_[k];
          if (tiny_[v] && IsDef(ops[k].kind)) {
            AddEdit(out, 2 * i + 1, Loc(v), Allocation::Stack(static_cast<uint32_t>(slot_[v])), cls_[v]);
          }
        }
      }
      // Edges that need an island.
      const bool inline_edge =
          blk.succ_end - blk.succ_begin == 1 && blk.inst_end > blk.inst_begin &&
          code_.inst(blk.inst_end - 1).op_count == 0;
      for (uint32_t e = blk.succ_begin; e < blk.succ_end; ++e) {
        out->edge_moves_begin[e] = static_cast<uint32_t>(out->edge_moves.size());
        if (inline_edge) continue;
        const VCode::Edge& edge = code_.succs(b)[e - blk.succ_begin];
        edge_parallel(edge, edge.block);
        SequentializeMoves(parallel, env_.scratch, &out->edge_moves);
      }
    }
    out->edge_moves_begin[code_.num_edges()] = static_cast<uint32_t>(out->edge_moves.size());
    for (const Move& m : out->edge_moves) {
      if (m.to.is_reg()) out->used_regs.Add(m.to.reg());
    }
  }

  const VCode& code_;
  const MachineEnv& env_;
  Scratch& s_;
  std::vector<VReg>& op_vreg_;
  std::vector<RegClass>& cls_;
  std::vector<uint8_t>& tiny_;
  std::vector<uint8_t>& region_;        // split child of a spilled vreg
  std::vector<uint32_t>& reload_inst_;  // region: reloaded before this inst
  std::vector<uint32_t>& emitted_;      // output: last edit point per vreg
  std::vector<uint32_t>& last_def_;     // output: last defining inst per vreg
  std::vector<uint8_t>& spilled_;
  std::vector<int32_t>& slot_;
  std::vector<float>& loop_weight_;
  std::vector<std::vector<Range>>& ranges_;
  std::vector<float>& weight_;
  std::vector<int8_t>& hint_;
  std::vector<VReg>& partner_;
  std::vector<int8_t>& assign_;
  std::array<std::vector<FixedBlock>, PReg::kMaxIndex>& fixed_;
  std::array<std::vector<VReg>, PReg::kMaxIndex>& active_;
  std::array<bool, PReg::kMaxIndex> env_allowed_;
  uint32_t num_slots_ = 0;
  uint32_t num_spilled_ = 0;
};

}  // namespace

absl::StatusOr<Output> Allocate(const isa::VCode& code, const MachineEnv& env) {
  // Not reentrant (Run calls nothing that allocates registers), so one
  // scratch per thread suffices.
  thread_local Scratch scratch;
  Allocator a(code, env, scratch);
  return a.Run();
}

std::string DumpAllocation(const isa::VCode& code, const Output& out) {
  std::string s;
  size_t e = 0;
  auto dump_edits = [&](uint32_t pos) {
    for (; e < out.edits.size() && out.edits[e].pos == pos; ++e) {
      absl::StrAppend(&s, "    move ", out.edits[e].move.from.ToString(), " -> ",
                      out.edits[e].move.to.ToString(), "\n");
    }
  };
  for (uint32_t b = 0; b < code.num_blocks(); ++b) {
    absl::StrAppend(&s, "block", b, ":\n");
    const VCode::Block& blk = code.block(b);
    for (uint32_t i = blk.inst_begin; i < blk.inst_end; ++i) {
      dump_edits(2 * i);
      absl::StrAppend(&s, "  inst", i);
      const VCode::InstInfo& info = code.inst(i);
      for (uint32_t k = info.op_begin; k < info.op_begin + info.op_count; ++k) {
        const Operand& op = code.all_operands()[k];
        const char* kind = op.kind == OperandKind::kUse   ? "use"
                           : op.kind == OperandKind::kDef ? "def"
                                                          : "mod";
        absl::StrAppend(&s, " ", kind, ":v", op.vreg, "@", out.allocs[k].ToString());
      }
      absl::StrAppend(&s, "\n");
      dump_edits(2 * i + 1);
    }
    for (uint32_t k = 0; k < blk.succ_end - blk.succ_begin; ++k) {
      for (const Move& m : out.EdgeMoves(blk.succ_begin + k)) {
        absl::StrAppend(&s, "    edge", k, " move ", m.from.ToString(), " -> ",
                        m.to.ToString(), "\n");
      }
    }
  }
  return s;
}

}  // namespace kiln::regalloc
