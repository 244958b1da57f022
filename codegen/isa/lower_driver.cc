#include "codegen/isa/lower_driver.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/instructions.h"
#include "codegen/ir/loops.h"

namespace kiln::isa {

using ir::Opcode;
using ir::Type;
using ir::Value;

namespace {
bool IsConstOpcode(Opcode op) {
  return op == Opcode::kIconst || op == Opcode::kF32const ||
         op == Opcode::kF64const;
}

bool IsFloatConstOpcode(Opcode op) {
  return op == Opcode::kF32const || op == Opcode::kF64const;
}

// tail_ values.
constexpr uint8_t kTailCall = 1;
constexpr uint8_t kDeadReturn = 2;
}  // namespace

LowerDriver::LowerDriver(const ir::Function& f, VCode* vcode, const Abi& abi,
                         absl::string_view isa)
    : f_(f), vcode_(vcode), abi_(abi), isa_(isa) {}

absl::Status LowerDriver::Err(absl::string_view msg) const {
  return absl::InvalidArgumentError(
      absl::StrCat(isa_, " lowering of ", f_.name(), ": ", msg));
}

bool LowerDriver::UsesV128() const {
  for (uint32_t v = 0; v < f_.num_values(); ++v) {
    if (f_.value_type(ir::Value(v)) == ir::Type::kV128) return true;
  }
  return false;
}

absl::Status LowerDriver::CheckV128Arguments() const {
  auto check_sig = [&](const ir::Signature& sig) -> absl::Status {
    int nstack = 0;
    const std::vector<ArgLoc> locs =
        abi_.ArgLocs(sig.params, sig.results.size() > 1, &nstack);
    for (size_t k = 0; k < sig.params.size(); ++k) {
      if (sig.params[k] == ir::Type::kV128 && !locs[k].in_reg) {
        return absl::UnimplementedError(absl::StrCat(
            isa_, " lowering of ", f_.name(), ": v128 argument on the stack"));
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = check_sig(f_.signature()); !s.ok()) return s;
  for (uint32_t k = 0; k < f_.num_signatures(); ++k) {
    if (absl::Status s = check_sig(f_.sig(ir::SigRef(k))); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LowerDriver::Run(LowerBackend& backend) {
  backend_ = &backend;
  vblock_.assign(f_.num_blocks(), ~0u);
  for (ir::Block blk : f_.blocks()) {
    vblock_[blk.index] = static_cast<uint32_t>(order_.size());
    order_.push_back(blk);
  }
  value_vreg_.assign(f_.num_values(), kInvalidVReg);
  const_block_.assign(f_.num_values(), 0);
  CountUses();
  FindUpperUses();
  tail_.assign(f_.num_insts(), 0);
  {
    int own_stack = 0;
    abi_.ArgLocs(f_.signature().params, f_.signature().results.size() > 1,
                 &own_stack);
    own_popped_ = abi_.CalleePoppedBytes(own_stack);
  }
  incoming_grow_ = 0;
  if (backend.SupportsTailCalls()) MarkTailCalls();
  vcode_->incoming_args_size =
      static_cast<uint32_t>(own_popped_ + incoming_grow_);
  vcode_->incoming_args_grow = static_cast<uint32_t>(incoming_grow_);
  backend.Analyze();
  hoist_block_.clear();
  hoisted_.clear();
  split_.clear();
  PlanLoops(backend.HoistLoopFloatConsts(), backend.SplitLoopLiveIns());
  vcode_->DeclareBlocks(static_cast<uint32_t>(order_.size()));
  for (size_t k = 1; k < order_.size(); ++k) {
    for (Value p : f_.block_params(order_[k])) {
      vcode_->AddBlockParam(static_cast<uint32_t>(k), V(p));
    }
  }
  for (size_t k = 0; k < order_.size(); ++k) {
    vcode_->StartBlock(static_cast<uint32_t>(k));
    cur_block_ = static_cast<uint32_t>(k);
    if (k == 0) {
      LowerEntryArgs();
      backend.FinishInst();
    }
    if (!hoisted_.empty()) MaterializeHoistedConsts(order_[k]);
    for (ir::Inst i : f_.insts(order_[k])) {
      if (backend.Skip(i) || tail_[i.index] == kDeadReturn) continue;
      const Opcode op = f_.opcode(i);
      if (IsConstOpcode(op)) continue;  // materialized at the uses
      cur_srcloc_ = f_.inst(i).srcloc;
      if (!split_.empty() && i == f_.last_inst(order_[k])) EmitSplitCopies(order_[k]);
      backend.BeforeInst(i);
      absl::Status st;
      if (op == Opcode::kCall || op == Opcode::kCallIndirect) {
        st = LowerCall(i);
      } else if (op == Opcode::kReturn) {
        LowerReturn(i);
      } else {
        st = backend.LowerInst(i);
      }
      if (!st.ok()) return st;
      backend.FinishInst();
    }
    vcode_->EndBlock();
  }
  return absl::OkStatus();
}

void LowerDriver::CountUses() {
  total_uses_.assign(f_.num_values(), 0);
  for (ir::Block blk : order_) {
    for (ir::Inst i : f_.insts(blk)) {
      for (Value a : f_.args(i)) ++total_uses_[a.index];
      for (const ir::BlockCall& bc : f_.block_calls(i)) {
        for (Value a : f_.List(bc.args)) ++total_uses_[a.index];
      }
    }
  }
}

void LowerDriver::FindUpperUses() {
  upper_used_.assign(f_.num_values(), 0);
  // (argument, parameter) pairs of i32 block arguments.
  std::vector<std::pair<uint32_t, uint32_t>> flows;
  for (ir::Block blk : order_) {
    for (ir::Inst i : f_.insts(blk)) {
      auto args = f_.args(i);
      for (size_t k = 0; k < args.size(); ++k) {
        if (T(args[k]) == Type::kI32 && !backend_->ReadsLow32Only(i, k)) {
          upper_used_[args[k].index] = 1;
        }
      }
      for (const ir::BlockCall& bc : f_.block_calls(i)) {
        auto bargs = f_.List(bc.args);
        auto params = f_.block_params(bc.block);
        for (size_t k = 0; k < bargs.size() && k < params.size(); ++k) {
          if (T(bargs[k]) == Type::kI32) {
            flows.push_back({bargs[k].index, params[k].index});
          }
        }
      }
    }
  }
  // Backward propagation to a fixed point; chains longer than the pass
  // budget (rare) keep every zero-extension.
  for (int pass = 0;; ++pass) {
    bool changed = false;
    for (auto it = flows.rbegin(); it != flows.rend(); ++it) {
      if (upper_used_[it->second] && !upper_used_[it->first]) {
        upper_used_[it->first] = 1;
        changed = true;
      }
    }
    if (!changed) return;
    if (pass == 8) {
      upper_used_.clear();
      return;
    }
  }
}

void LowerDriver::MarkTailCalls() {
  const ir::Signature& own = f_.signature();
  const bool callee_pops = abi_.CalleePoppedBytes(1) > 0;
  int own_stack = -1;
  int32_t area = own_popped_;
  for (ir::Block blk : order_) {
    ir::Inst ret = f_.last_inst(blk);
    if (!ret.valid() || f_.opcode(ret) != Opcode::kReturn) continue;
    ir::Inst call = f_.inst(ret).prev;
    if (!call.valid() || !ir::IsCall(f_.opcode(call)) ||
        f_.inst(call).code != ir::kCallIsTail) {
      continue;
    }
    auto results = f_.results(call);
    auto rets = f_.args(ret);
    if (!std::equal(results.begin(), results.end(), rets.begin(), rets.end())) {
      continue;
    }
    const ir::Signature* sig = f_.CallSignature(call);
    if (sig == nullptr || sig->results != own.results) continue;
    const bool multi = own.results.size() > 1;
    if (own_stack < 0) {
      own_stack = 0;
      abi_.ArgLocs(own.params, multi, &own_stack);
    }
    int callee_stack = 0;
    abi_.ArgLocs(sig->params, multi, &callee_stack);
    // Where the caller pops, the callee's stack arguments must fit in the
    // area our caller reserved; where the callee pops, the prologue grows
    // our incoming area to the largest tail callee's (incoming_grow_).
    if (!callee_pops && callee_stack > own_stack) continue;
    area = std::max(area, abi_.CalleePoppedBytes(callee_stack));
    tail_[call.index] = kTailCall;
    tail_[ret.index] = kDeadReturn;
  }
  incoming_grow_ = area - own_popped_;
}

void LowerDriver::PlanLoops(bool float_consts, bool split) {
  // Cheap scan first: most functions have no float constant, many no call.
  bool any_float = false, any_call = false;
  for (ir::Block blk : order_) {
    for (ir::Inst i : f_.insts(blk)) {
      any_float |= float_consts && IsFloatConstOpcode(f_.opcode(i));
      any_call |= split && ir::IsCall(f_.opcode(i));
    }
  }
  if (!any_float && !any_call) return;
  ir::ControlFlowGraph cfg(f_);
  ir::DominatorTree dt(f_, cfg);
  ir::LoopAnalysis loops(f_, cfg, dt);
  if (loops.loops().empty()) return;
  // Loops come innermost first, so the last one to claim a block is its
  // outermost call-free loop; its header's immediate dominator is outside
  // that nest and dominates every block of it.
  // Only call-free loops: a call clobbers every float register (System V,
  // AAPCS64 above the low halves), so a constant live across one is
  // spilled and reloaded, no cheaper than materializing it again; and a
  // value live across a call is what needs a copy in a register for the
  // loop.
  hoist_block_.assign(f_.num_blocks(), ~0u);
  for (const ir::Loop& loop : loops.loops()) {
    ir::Block d = dt.idom(loop.header);
    if (!d.valid()) continue;
    bool calls = false;
    for (ir::Block b : loop.blocks) {
      for (ir::Inst i : f_.insts(b)) calls |= ir::IsCall(f_.opcode(i));
      if (calls) break;
    }
    if (calls) continue;
    for (ir::Block b : loop.blocks) hoist_block_[b.index] = d.index;
  }
  auto def_block = [&](Value v) {
    const ir::ValueData& vd = f_.value(v);
    return vd.kind == ir::ValueDefKind::kParam ? vd.def
                                               : f_.inst_block(ir::Inst(vd.def)).index;
  };
  auto note = [&](ir::Block b, Value v) {
    const uint32_t d = hoist_block_[b.index];
    if (d == ~0u) return;
    if (IsConstValue(v)) {
      if (any_float && IsFloatConstOpcode(f_.opcode(DefInst(v)))) {
        hoisted_.push_back({{d, v.index}, kInvalidVReg});
      }
    } else if (any_call && hoist_block_[def_block(v)] != d) {
      // Defined outside the nest (so its definition dominates d).
      split_.push_back({{d, v.index}, kInvalidVReg});
    }
  };
  for (ir::Block blk : order_) {
    if (hoist_block_[blk.index] == ~0u) continue;
    for (ir::Inst i : f_.insts(blk)) {
      // A dead instruction reads nothing; a value only it uses may have no
      // definition at all (dead too), and a copy would read an undefined
      // register.
      if (backend_->IsDead(i)) continue;
      for (Value a : f_.args(i)) note(blk, a);
      for (const ir::BlockCall& bc : f_.block_calls(i)) {
        for (Value a : f_.List(bc.args)) note(blk, a);
      }
    }
  }
  for (HoistList* list : {&hoisted_, &split_}) {
    std::sort(list->begin(), list->end());
    list->erase(std::unique(list->begin(), list->end()), list->end());
  }
  for (auto& [key, vreg] : split_) vreg = vcode_->NewVReg(ClassOf(T(Value(key.second))));
}

LowerDriver::HoistList::iterator LowerDriver::FindHoisted(HoistList& list, uint32_t d,
                                                          Value v) {
  auto it = std::lower_bound(
      list.begin(), list.end(), std::make_pair(std::make_pair(d, v.index), kInvalidVReg),
      [](const auto& x, const auto& y) { return x.first < y.first; });
  if (it != list.end() && it->first == std::make_pair(d, v.index)) return it;
  return list.end();
}

LowerDriver::HoistList::iterator LowerDriver::FirstHoisted(HoistList& list, ir::Block b) {
  return std::lower_bound(
      list.begin(), list.end(), std::make_pair(std::make_pair(b.index, 0u), kInvalidVReg),
      [](const auto& x, const auto& y) { return x.first < y.first; });
}

void LowerDriver::EmitSplitCopies(ir::Block b) {
  auto it = FirstHoisted(split_, b);
  for (; it != split_.end() && it->first.first == b.index; ++it) {
    backend_->EmitCopy(V(Value(it->first.second)), it->second);
  }
}

void LowerDriver::MaterializeHoistedConsts(ir::Block b) {
  auto it = FirstHoisted(hoisted_, b);
  for (; it != hoisted_.end() && it->first.first == b.index; ++it) {
    const Value v(it->first.second);
    it->second = vcode_->NewVReg(ClassOf(T(v)));
    backend_->MaterializeConst(it->second, T(v), f_.inst(DefInst(v)).imm);
  }
}

void LowerDriver::LowerEntryArgs() {
  const ir::Signature& sig = f_.signature();
  auto params = f_.block_params(f_.entry_block());
  const bool multi = sig.results.size() > 1;
  int nstack = 0;
  const std::vector<ArgLoc> locs = abi_.ArgLocs(sig.params, multi, &nstack);
  std::vector<VReg> defs;
  std::vector<PReg> regs;
  struct Zext {
    VReg tmp, dst;
    bool needed;
  };
  std::vector<Zext> zext;  // i32 params
  for (size_t k = 0; k < locs.size(); ++k) {
    VReg dst;
    bool is_i32 = false;
    if (k < params.size()) {
      if (total_uses_[params[k].index] == 0) continue;  // unused parameter
      dst = V(params[k]);
      is_i32 = T(params[k]) == Type::kI32;
    } else {
      dst = ret_ptr_ = vcode_->NewVReg(RegClass::kInt);
    }
    if (!locs[k].in_reg) continue;
    if (is_i32) {
      // Neither System V nor AAPCS64 defines an i32 argument's upper half;
      // Kiln's code keeps it zero (where a use needs it).
      VReg t = vcode_->NewVReg(RegClass::kInt);
      zext.push_back({t, dst, NeedsZeroExtend(params[k])});
      dst = t;
    }
    defs.push_back(dst);
    regs.push_back(locs[k].reg);
  }
  backend_->EmitArgs(defs, regs);
  for (const Zext& z : zext) {
    if (z.needed) {
      backend_->EmitZeroExtendI32(z.tmp, z.dst);
    } else {
      backend_->EmitI32Copy(z.tmp, z.dst);
    }
  }
  for (size_t k = 0; k < locs.size(); ++k) {
    if (locs[k].in_reg) continue;
    if (k < params.size() && total_uses_[params[k].index] == 0) continue;
    const int32_t disp =
        abi_.IncomingArgsOffset() + incoming_grow_ + locs[k].stack_offset;
    if (k < params.size()) {
      backend_->EmitFrameLoad(FrameArea::kIncomingArgs, disp, T(params[k]),
                              V(params[k]));
    } else {
      backend_->EmitFrameLoad(FrameArea::kIncomingArgs, disp, Type::kI64,
                              ret_ptr_);
    }
  }
}

absl::Status LowerDriver::LowerCall(ir::Inst i) {
  const Opcode op = f_.opcode(i);
  const ir::Signature* sig = f_.CallSignature(i);
  if (sig == nullptr) return Err("call without signature");
  auto all_args = f_.args(i);
  absl::Span<const Value> args =
      op == Opcode::kCallIndirect ? all_args.subspan(1) : all_args;
  auto results = f_.results(i);
  const bool multi = results.size() > 1;
  const bool tail = tail_[i.index] == kTailCall;
  int nstack = 0;
  const std::vector<ArgLoc> locs = abi_.ArgLocs(sig->params, multi, &nstack);
  const bool builtin =
      op == Opcode::kCall &&
      f_.ext_func(ir::FuncRef(f_.inst(i).ref)).kind == ir::ExtFuncKind::kBuiltin;
  // A wasm callee may pop its (aligned) stack-argument area; builtins are
  // C functions and leave it.
  const int32_t popped = builtin ? 0 : abi_.CalleePoppedBytes(nstack);
  // The return area sits above the outgoing stack arguments (above what
  // the callee pops, so it stays above the stack pointer).
  const int32_t ret_area =
      std::max(abi_.StackSlotSize() * nstack, popped);
  int32_t ret_area_size = 0;
  std::vector<int32_t> ret_offsets;
  if (multi) {
    std::vector<Type> types;
    for (Value r : results) types.push_back(T(r));
    ret_offsets = abi_.ReturnAreaOffsets(types, &ret_area_size);
  }
  if (!tail) {
    uint32_t outgoing = static_cast<uint32_t>(ret_area + ret_area_size);
    outgoing = (outgoing + 15) & ~15u;
    vcode_->outgoing_args_size = std::max(vcode_->outgoing_args_size, outgoing);
  }
  std::vector<VReg> arg_vregs;
  std::vector<PReg> arg_regs;
  for (size_t k = 0; k < locs.size(); ++k) {
    VReg v;
    Type t = Type::kI64;
    if (k < args.size()) {
      v = V(args[k]);
      t = T(args[k]);
    } else if (tail) {
      v = ret_ptr_;  // the callee writes our results where ours go
    } else {
      v = vcode_->NewVReg(RegClass::kInt);
      backend_->EmitOutgoingAddr(v, ret_area);
    }
    if (locs[k].in_reg) {
      arg_vregs.push_back(v);
      arg_regs.push_back(locs[k].reg);
    } else if (tail) {
      // A tail call's stack arguments go to the top of this function's
      // incoming argument area (MarkTailCalls made it large enough), where
      // the callee pops them to leave the stack as our caller expects;
      // every incoming argument was loaded at entry, so nothing reads the
      // area later.
      const int32_t top = own_popped_ + incoming_grow_;
      backend_->EmitFrameStore(
          FrameArea::kIncomingArgs,
          abi_.IncomingArgsOffset() + top - popped + locs[k].stack_offset,
          t == Type::kI32 ? Type::kI64 : t, v);
    } else {
      backend_->EmitFrameStore(FrameArea::kOutgoingArgs, locs[k].stack_offset,
                               t == Type::kI32 ? Type::kI64 : t, v);
    }
  }
  // Made right before the call instruction: the callee's vreg is asked for
  // after the arguments' and results' (vreg numbering, so the allocation,
  // follows that order).
  auto dest = [&] {
    CallDest d;
    if (op == Opcode::kCall) {
      d.builtin = builtin;
      d.index = f_.ext_func(ir::FuncRef(f_.inst(i).ref)).func_index;
    } else {
      d.known = false;
      d.target = V(all_args[0]);
    }
    d.popped_bytes = popped;
    return d;
  };
  if (tail) {
    backend_->EmitReturnCall(dest(), arg_vregs, arg_regs);
    return absl::OkStatus();
  }
  std::vector<VReg> rets;
  std::vector<PReg> ret_regs;
  VReg zext_tmp = kInvalidVReg;
  if (results.size() == 1) {
    Type t = T(results[0]);
    VReg r = V(results[0]);
    if (t == Type::kI32) {
      zext_tmp = vcode_->NewVReg(RegClass::kInt);
      r = zext_tmp;
    }
    rets.push_back(r);
    ret_regs.push_back(abi_.ResultReg(t));
  }
  backend_->EmitCall(dest(), arg_vregs, arg_regs, rets, ret_regs,
                     abi_.CallClobbers());
  if (zext_tmp != kInvalidVReg) {
    if (NeedsZeroExtend(results[0])) {
      backend_->EmitZeroExtendI32(zext_tmp, V(results[0]));
    } else {
      backend_->EmitI32Copy(zext_tmp, V(results[0]));
    }
  }
  if (multi) {
    for (size_t k = 0; k < results.size(); ++k) {
      backend_->EmitFrameLoad(FrameArea::kOutgoingArgs,
                              ret_area + ret_offsets[k], T(results[k]),
                              V(results[k]));
    }
  }
  return absl::OkStatus();
}

void LowerDriver::LowerReturn(ir::Inst i) {
  auto args = f_.args(i);
  if (args.size() == 1) {
    backend_->EmitRet({V(args[0])}, {abi_.ResultReg(T(args[0]))});
    return;
  }
  std::vector<Type> types;
  for (Value v : args) types.push_back(T(v));
  int32_t size = 0;
  const std::vector<int32_t> offsets = abi_.ReturnAreaOffsets(types, &size);
  for (size_t k = 0; k < args.size(); ++k) {
    backend_->EmitStoreToPtr(ret_ptr_, offsets[k], T(args[k]), V(args[k]));
  }
  backend_->EmitRet({}, {});
}

RegClass LowerDriver::ClassOf(Type t) const {
  return abi_.RegClassOf(t);
}

ir::Inst LowerDriver::DefInst(Value v) const {
  const ir::ValueData& d = f_.value(v);
  return d.kind == ir::ValueDefKind::kResult ? ir::Inst(d.def) : ir::Inst();
}

bool LowerDriver::IsConstValue(Value v) const {
  ir::Inst d = DefInst(v);
  return d.valid() && IsConstOpcode(f_.opcode(d));
}

bool LowerDriver::ConstOf(Value v, int64_t* out) const {
  ir::Inst d = DefInst(v);
  if (!d.valid() || f_.opcode(d) != Opcode::kIconst) return false;
  int64_t imm = f_.inst(d).imm;
  if (T(v) == Type::kI32) imm = static_cast<int32_t>(imm);
  *out = imm;
  return true;
}

VReg LowerDriver::ConstReg(Value v) {
  if (const_block_[v.index] == cur_block_ + 1) return value_vreg_[v.index];
  if (!hoisted_.empty()) {
    const uint32_t d = hoist_block_[order_[cur_block_].index];
    auto it = FindHoisted(hoisted_, d, v);
    // The hoist block dominates this one, so with the layout in dominance
    // order its constants exist already; otherwise fall back to a local one.
    if (d != ~0u && it != hoisted_.end() && it->second != kInvalidVReg) return it->second;
  }
  const Type t = T(v);
  VReg r = vcode_->NewVReg(ClassOf(t));
  backend_->MaterializeConst(r, t, f_.inst(DefInst(v)).imm);
  value_vreg_[v.index] = r;
  const_block_[v.index] = cur_block_ + 1;
  return r;
}

VReg LowerDriver::V(Value v) {
  if (IsConstValue(v)) return ConstReg(v);
  if (!split_.empty()) {
    const uint32_t d = hoist_block_[order_[cur_block_].index];
    if (d != ~0u) {
      auto it = FindHoisted(split_, d, v);
      if (it != split_.end()) return it->second;
    }
  }
  VReg& r = value_vreg_[v.index];
  if (r == kInvalidVReg) r = vcode_->NewVReg(ClassOf(T(v)));
  return r;
}

}  // namespace kiln::isa
