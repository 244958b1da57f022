#include "codegen/ir/function.h"

#include "codegen/ir/simd.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace kiln::ir {

SigRef Function::DeclareSignature(Signature sig) {
  sigs_.push_back(std::move(sig));
  return SigRef(sigs_.size() - 1);
}

FuncRef Function::DeclareFunction(uint32_t func_index, SigRef sig,
                                  ExtFuncKind kind) {
  funcs_.push_back({func_index, sig, kind});
  return FuncRef(funcs_.size() - 1);
}

void Function::Reset(std::string name, Signature sig) {
  name_ = std::move(name);
  signature_ = std::move(sig);
  sigs_.clear();
  funcs_.clear();
  insts_.clear();
  values_.clear();
  blocks_.clear();
  value_pool_.clear();
  block_calls_.clear();
  first_block_ = Block();
  last_block_ = Block();
}

Block Function::CreateBlock() {
  blocks_.emplace_back();
  return Block(blocks_.size() - 1);
}

Block Function::EnsureBlock(uint32_t index) {
  if (index >= blocks_.size()) blocks_.resize(index + 1);
  return Block(index);
}

Value Function::NewValue(Type t, ValueDefKind kind, uint32_t def,
                         uint32_t num) {
  values_.push_back({t, kind, def, num});
  return Value(values_.size() - 1);
}

Value Function::EnsureValue(uint32_t index) {
  if (index >= values_.size()) values_.resize(index + 1);
  return Value(index);
}

Value Function::AppendBlockParam(Block b, Type t) {
  BlockData& bd = blocks_[b.index];
  Value v = NewValue(t, ValueDefKind::kParam, b.index, bd.params.size());
  bd.params.push_back(v);
  return v;
}

void Function::AppendBlockParamValue(Block b, Value v, Type t) {
  BlockData& bd = blocks_[b.index];
  values_[v.index] = {t, ValueDefKind::kParam, b.index,
                      static_cast<uint32_t>(bd.params.size())};
  bd.params.push_back(v);
}

void Function::RemoveBlockParam(Block b, uint32_t i) {
  BlockData& bd = blocks_[b.index];
  values_[bd.params[i].index].kind = ValueDefKind::kNone;
  bd.params.erase(bd.params.begin() + i);
  for (uint32_t j = i; j < bd.params.size(); ++j) {
    values_[bd.params[j].index].num = j;
  }
}

void Function::AppendBlock(Block b) {
  BlockData& bd = blocks_[b.index];
  assert(!bd.in_layout);
  bd.in_layout = true;
  bd.prev = last_block_;
  bd.next = Block();
  if (last_block_.valid()) {
    blocks_[last_block_.index].next = b;
  } else {
    first_block_ = b;
  }
  last_block_ = b;
}

void Function::InsertBlockAfter(Block after, Block b) {
  BlockData& bd = blocks_[b.index];
  assert(!bd.in_layout);
  BlockData& ad = blocks_[after.index];
  bd.in_layout = true;
  bd.prev = after;
  bd.next = ad.next;
  if (ad.next.valid()) {
    blocks_[ad.next.index].prev = b;
  } else {
    last_block_ = b;
  }
  ad.next = b;
}

void Function::RemoveBlock(Block b) {
  BlockData& bd = blocks_[b.index];
  if (!bd.in_layout) return;
  if (bd.prev.valid()) {
    blocks_[bd.prev.index].next = bd.next;
  } else {
    first_block_ = bd.next;
  }
  if (bd.next.valid()) {
    blocks_[bd.next.index].prev = bd.prev;
  } else {
    last_block_ = bd.prev;
  }
  bd.prev = bd.next = Block();
  bd.in_layout = false;
}

void Function::AppendInst(Block b, Inst i) {
  BlockData& bd = blocks_[b.index];
  InstData& d = insts_[i.index];
  assert(!d.block.valid());
  d.block = b;
  d.prev = bd.last_inst;
  d.next = Inst();
  if (bd.last_inst.valid()) {
    insts_[bd.last_inst.index].next = i;
  } else {
    bd.first_inst = i;
  }
  bd.last_inst = i;
}

void Function::InsertInstBefore(Inst before, Inst i) {
  InstData& bef = insts_[before.index];
  InstData& d = insts_[i.index];
  d.block = bef.block;
  d.next = before;
  d.prev = bef.prev;
  if (bef.prev.valid()) {
    insts_[bef.prev.index].next = i;
  } else {
    blocks_[bef.block.index].first_inst = i;
  }
  bef.prev = i;
}

void Function::RemoveInst(Inst i) {
  InstData& d = insts_[i.index];
  if (!d.block.valid()) return;
  BlockData& bd = blocks_[d.block.index];
  if (d.prev.valid()) {
    insts_[d.prev.index].next = d.next;
  } else {
    bd.first_inst = d.next;
  }
  if (d.next.valid()) {
    insts_[d.next.index].prev = d.prev;
  } else {
    bd.last_inst = d.prev;
  }
  d.block = Block();
  d.prev = d.next = Inst();
}

ValueList Function::MakeList(absl::Span<const Value> vals) {
  ValueList l{static_cast<uint32_t>(value_pool_.size()),
              static_cast<uint32_t>(vals.size())};
  value_pool_.insert(value_pool_.end(), vals.begin(), vals.end());
  return l;
}

Inst Function::CreateInst(Opcode op, Type ctrl_type,
                          absl::Span<const Value> args,
                          absl::Span<const BlockCallSpec> targets) {
  InstData d;
  d.opcode = op;
  d.ctrl_type = ctrl_type;
  d.args = MakeList(args);
  d.results = {static_cast<uint32_t>(value_pool_.size()), 0};
  d.bcalls_start = block_calls_.size();
  d.num_bcalls = targets.size();
  for (const BlockCallSpec& t : targets) {
    block_calls_.push_back({t.block, MakeList(t.args)});
  }
  insts_.push_back(d);
  return Inst(insts_.size() - 1);
}

const Signature* Function::CallSignature(Inst i) const {
  const InstData& d = insts_[i.index];
  if (d.opcode == Opcode::kCall) {
    if (d.ref >= funcs_.size()) return nullptr;
    SigRef s = funcs_[d.ref].sig;
    return s.index < sigs_.size() ? &sigs_[s.index] : nullptr;
  }
  if (d.opcode == Opcode::kCallIndirect) {
    return d.ref < sigs_.size() ? &sigs_[d.ref] : nullptr;
  }
  return nullptr;
}

uint32_t Function::ExpectedNumResults(Inst i) const {
  switch (GetOpcodeInfo(insts_[i.index].opcode).result) {
    case ResultRule::kNone:
      return 0;
    case ResultRule::kCall: {
      const Signature* s = CallSignature(i);
      return s ? s->results.size() : 0;
    }
    default:
      return 1;
  }
}

Type Function::ResultType(Inst i, uint32_t n) const {
  const InstData& d = insts_[i.index];
  auto arg_type = [&](uint32_t k) {
    if (k >= d.args.size) return Type::kInvalid;
    Value v = value_pool_[d.args.start + k];
    if (!v.valid() || v.index >= values_.size()) return Type::kInvalid;
    return values_[v.index].type;
  };
  switch (GetOpcodeInfo(d.opcode).result) {
    case ResultRule::kNone:
      return Type::kInvalid;
    case ResultRule::kCtrl:
      return d.ctrl_type;
    case ResultRule::kSameAsArg0:
      return arg_type(0);
    case ResultRule::kSameAsArg1:
      return arg_type(1);
    case ResultRule::kI32:
      return Type::kI32;
    case ResultRule::kF32:
      return Type::kF32;
    case ResultRule::kF64:
      return Type::kF64;
    case ResultRule::kCall: {
      const Signature* s = CallSignature(i);
      return s && n < s->results.size() ? s->results[n] : Type::kInvalid;
    }
    case ResultRule::kVector:
      return VectorResultType(d.opcode, d.ctrl_type);
  }
  return Type::kInvalid;
}

Value Function::MakeResults(Inst i) {
  uint32_t n = ExpectedNumResults(i);
  // Results are contiguous in the pool; they are created last, so the
  // slice starts at the current end.
  InstData& d = insts_[i.index];
  d.results = {static_cast<uint32_t>(value_pool_.size()), 0};
  for (uint32_t k = 0; k < n; ++k) {
    Value v = NewValue(ResultType(i, k), ValueDefKind::kResult, i.index, k);
    value_pool_.push_back(v);
    insts_[i.index].results.size++;
  }
  return first_result(i);
}

void Function::AttachResult(Inst i, Value v, Type t) {
  InstData& d = insts_[i.index];
  if (d.results.start + d.results.size != value_pool_.size()) {
    // Not at the end of the pool: move the list there first.
    ValueList moved = MakeList(List(d.results));
    insts_[i.index].results = moved;
  }
  values_[v.index] = {t, ValueDefKind::kResult, i.index,
                      insts_[i.index].results.size};
  value_pool_.push_back(v);
  insts_[i.index].results.size++;
}

void Function::AppendBlockCallArg(Inst i, uint32_t call_index, Value v) {
  BlockCall& bc = block_calls_[insts_[i.index].bcalls_start + call_index];
  if (bc.args.start + bc.args.size != value_pool_.size()) {
    // Move the list to the end of the pool (copied within the pool: grow
    // first, then copy, as growing may move the storage).
    const uint32_t start = static_cast<uint32_t>(value_pool_.size());
    const uint32_t n = bc.args.size;
    value_pool_.resize(start + n + 1);
    std::copy_n(value_pool_.begin() + bc.args.start, n,
                value_pool_.begin() + start);
    value_pool_[start + n] = v;
    bc.args = ValueList{start, n + 1};
    return;
  }
  value_pool_.push_back(v);
  bc.args.size++;
}

void Function::RemoveBlockCallArg(Inst i, uint32_t call_index, uint32_t n) {
  BlockCall& bc = block_calls_[insts_[i.index].bcalls_start + call_index];
  absl::Span<Value> a = List(bc.args);
  for (uint32_t k = n; k + 1 < a.size(); ++k) a[k] = a[k + 1];
  bc.args.size--;
}

void Function::ReplaceWithIconst(Inst i, int64_t value) {
  InstData& d = insts_[i.index];
  Value r = first_result(i);
  d.opcode = Opcode::kIconst;
  d.ctrl_type = values_[r.index].type;
  d.args = {};
  d.num_bcalls = 0;
  d.imm = TypeBits(d.ctrl_type) == 32
              ? static_cast<int64_t>(static_cast<int32_t>(value))
              : value;
}

void Function::ReplaceWithF32const(Inst i, uint32_t bits) {
  InstData& d = insts_[i.index];
  d.opcode = Opcode::kF32const;
  d.ctrl_type = Type::kInvalid;
  d.args = {};
  d.imm = bits;
}

void Function::ReplaceWithF64const(Inst i, uint64_t bits) {
  InstData& d = insts_[i.index];
  d.opcode = Opcode::kF64const;
  d.ctrl_type = Type::kInvalid;
  d.args = {};
  d.imm = static_cast<int64_t>(bits);
}

void Function::ReplaceWithJump(Inst i, BlockCall target) {
  InstData& d = insts_[i.index];
  d.opcode = Opcode::kJump;
  d.ctrl_type = Type::kInvalid;
  d.args = {};
  d.bcalls_start = block_calls_.size();
  d.num_bcalls = 1;
  block_calls_.push_back(target);
}

}  // namespace kiln::ir
