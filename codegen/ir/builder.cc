#include "codegen/ir/builder.h"


#include <algorithm>
#include <cassert>
#include <cstring>

#include "absl/container/inlined_vector.h"

namespace kiln::ir {

Block FunctionBuilder::CreateBlock() {
  Block b = f_->CreateBlock();
  EnsureBlockTables(b);
  return b;
}

void FunctionBuilder::GrowBlockTables(Block b) {
  const uint32_t n = b.index + 1;
  // Reuse the entries (and their vectors' capacity) an earlier function
  // left; add the rest.
  const uint32_t reuse = std::min<uint32_t>(n, sealed_.size());
  for (uint32_t i = num_tables_; i < reuse; ++i) {
    sealed_[i] = 0;
    preds_[i].clear();
    incomplete_[i].clear();
  }
  if (n > sealed_.size()) {
    sealed_.resize(n, 0);
    preds_.resize(n);
    incomplete_.resize(n);
  }
  num_tables_ = n;
}

void FunctionBuilder::Reset(Function* f) {
  f_ = f;
  cur_ = Block();
  srcloc_ = kNoSrcLoc;
  num_tables_ = 0;
  var_types_.clear();
  defs_.Clear();
}

void FunctionBuilder::DefMap::Clear() {
  size_ = 0;
  if (++gen_ == 0) {  // wrapped: make every slot empty explicitly
    for (Slot& s : slots_) s.gen = 0;
    gen_ = 1;
  }
}

void FunctionBuilder::DefMap::Grow() {
  std::vector<Slot> old = std::move(slots_);
  const uint32_t old_gen = gen_;
  const size_t n = old.empty() ? 256 : old.size() * 2;
  slots_.assign(n, Slot{0, Value(), 0});
  mask_ = n - 1;
  shift_ = 64 - __builtin_ctzll(n);
  gen_ = 1;
  size_ = 0;
  for (const Slot& s : old) {
    if (s.gen == old_gen) Set(s.key, s.value);
  }
}

void FunctionBuilder::AppendEntryParams(Block entry) {
  for (Type t : f_->signature().params) f_->AppendBlockParam(entry, t);
}

void FunctionBuilder::SwitchToBlock(Block b) {
  EnsureBlockTables(b);
  if (!f_->IsBlockInLayout(b)) f_->AppendBlock(b);
  cur_ = b;
}

bool FunctionBuilder::IsFilled() const {
  if (!cur_.valid()) return false;
  Inst last = f_->last_inst(cur_);
  return last.valid() && IsTerminator(f_->opcode(last));
}

Inst FunctionBuilder::Insert(Inst i) {
  assert(cur_.valid() && "SwitchToBlock first");
  f_->mutable_inst(i).srcloc = srcloc_;
  f_->MakeResults(i);
  f_->AppendInst(cur_, i);
  if (IsBranch(f_->opcode(i))) {
    for (const BlockCall& bc : f_->block_calls(i)) {
      EnsureBlockTables(bc.block);
      // A branch naming the same block twice is one predecessor entry (its
      // calls are processed together, so a duplicate is the last entry).
      auto& preds = preds_[bc.block.index];
      if (preds.empty() || preds.back().inst != i) preds.push_back({cur_, i});
    }
  }
  return i;
}

Inst FunctionBuilder::Emit(Opcode op, Type ctrl, absl::Span<const Value> args,
                           absl::Span<const BlockCallSpec> targets) {
  return Insert(f_->CreateInst(op, ctrl, args, targets));
}

Value FunctionBuilder::Iconst(Type t, int64_t v) {
  Inst i = f_->CreateInst(Opcode::kIconst, t, {});
  f_->mutable_inst(i).imm =
      TypeBits(t) == 32 ? static_cast<int64_t>(static_cast<int32_t>(v)) : v;
  return f_->first_result(Insert(i));
}

Value FunctionBuilder::F32constBits(uint32_t bits) {
  Inst i = f_->CreateInst(Opcode::kF32const, Type::kInvalid, {});
  f_->mutable_inst(i).imm = bits;
  return f_->first_result(Insert(i));
}

Value FunctionBuilder::F64constBits(uint64_t bits) {
  Inst i = f_->CreateInst(Opcode::kF64const, Type::kInvalid, {});
  f_->mutable_inst(i).imm = static_cast<int64_t>(bits);
  return f_->first_result(Insert(i));
}

Value FunctionBuilder::F32const(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return F32constBits(bits);
}

Value FunctionBuilder::F64const(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  return F64constBits(bits);
}

Inst FunctionBuilder::Call(FuncRef fn, absl::Span<const Value> args) {
  Inst i = f_->CreateInst(Opcode::kCall, Type::kInvalid, args);
  f_->mutable_inst(i).ref = fn.index;
  return Insert(i);
}

Inst FunctionBuilder::CallIndirect(SigRef sig, Value callee,
                                   absl::Span<const Value> args) {
  absl::InlinedVector<Value, 16> all;
  all.reserve(args.size() + 1);
  all.push_back(callee);
  all.insert(all.end(), args.begin(), args.end());
  Inst i = f_->CreateInst(Opcode::kCallIndirect, Type::kInvalid, all);
  f_->mutable_inst(i).ref = sig.index;
  return Insert(i);
}

Inst FunctionBuilder::Trap(TrapCode code) {
  Inst i = f_->CreateInst(Opcode::kTrap, Type::kInvalid, {});
  f_->mutable_inst(i).code = static_cast<uint8_t>(code);
  return Insert(i);
}

Inst FunctionBuilder::Jump(Block dest, absl::Span<const Value> args) {
  BlockCallSpec t[] = {{dest, args}};
  return Emit(Opcode::kJump, Type::kInvalid, {}, t);
}

Inst FunctionBuilder::Brif(Value c, Block then_block,
                           absl::Span<const Value> then_args, Block else_block,
                           absl::Span<const Value> else_args) {
  BlockCallSpec t[] = {{then_block, then_args}, {else_block, else_args}};
  return Emit(Opcode::kBrif, Type::kInvalid, {c}, t);
}

Inst FunctionBuilder::BrTable(Value index, Block default_block,
                              absl::Span<const Block> table) {
  absl::InlinedVector<BlockCallSpec, 16> t;
  t.reserve(table.size() + 1);
  t.push_back({default_block, {}});
  for (Block b : table) t.push_back({b, {}});
  return Emit(Opcode::kBrTable, Type::kInvalid, {index}, t);
}

Inst FunctionBuilder::Return(absl::Span<const Value> values) {
  return Emit(Opcode::kReturn, Type::kInvalid, values);
}

// --- Variables ----------------------------------------------------------

Variable FunctionBuilder::DeclareVar(Type t) {
  var_types_.push_back(t);
  return Variable(var_types_.size() - 1);
}

void FunctionBuilder::DefVar(Variable var, Value v) {
  assert(cur_.valid());
  defs_.Set(Key(var, cur_), v);
}

Value FunctionBuilder::UseVar(Variable var) {
  assert(cur_.valid());
  return UseVarIn(var, cur_);
}

Value FunctionBuilder::ZeroValue(Type t, Block b) {
  if (t == Type::kV128) {  // vconst.v128 z, z (codegen/ir/simd.h)
    Value z = ZeroValue(Type::kI64, b);
    Inst c = f_->CreateInst(Opcode::kVconst, t, {z, z});
    Value v = f_->MakeResults(c);
    Inst after = f_->next_inst(f_->DefiningInst(z));
    if (after.valid()) {
      f_->InsertInstBefore(after, c);
    } else {
      f_->AppendInst(b, c);
    }
    return v;
  }
  Inst i;
  switch (t) {
    case Type::kF32:
      i = f_->CreateInst(Opcode::kF32const, Type::kInvalid, {});
      break;
    case Type::kF64:
      i = f_->CreateInst(Opcode::kF64const, Type::kInvalid, {});
      break;
    default:
      i = f_->CreateInst(Opcode::kIconst, t, {});
      break;
  }
  Value v = f_->MakeResults(i);
  Inst first = f_->first_inst(b);
  if (first.valid()) {
    f_->InsertInstBefore(first, i);
  } else {
    f_->AppendInst(b, i);
  }
  return v;
}

// Braun et al.'s recursive lookup, run on explicit stacks: the recursion
// depth would be the number of merge points between a use and its
// definition, which a large wasm function can make deep enough to
// overflow the native stack.
Value FunctionBuilder::UseVarIn(Variable var, Block start) {
  // Never nested: SealBlock calls this in sequence, and it does not call
  // itself, so the member scratch stacks are safe to reuse.
  auto& calls = lookup_calls_;
  auto& results = lookup_results_;
  auto& chain = lookup_chain_;
  calls.clear();
  results.clear();
  calls.push_back({false, start, Value()});
  const Type type = var_types_[var.index];
  while (!calls.empty()) {
    LookupFrame fr = calls.back();
    calls.pop_back();
    if (fr.finish) {
      // The top results are the predecessors' values, in pred order.
      const auto& preds = preds_[fr.block.index];
      const size_t base = results.size() - preds.size();
      for (size_t k = 0; k < preds.size(); ++k) {
        Inst inst = preds[k].inst;
        auto calls_of = f_->block_calls(inst);
        for (uint32_t c = 0; c < calls_of.size(); ++c) {
          if (calls_of[c].block == fr.block) {
            f_->AppendBlockCallArg(inst, c, results[base + k]);
          }
        }
      }
      results.resize(base);
      results.push_back(fr.param);
      continue;
    }
    // Walk up single-predecessor chains.
    Block b = fr.block;
    chain.clear();
    Value v;
    bool pending = false;
    while (true) {
      EnsureBlockTables(b);
      if (defs_.Find(Key(var, b), &v)) break;
      if (!sealed_[b.index]) {
        // Predecessors may still appear: placeholder param, filled at seal.
        v = f_->AppendBlockParam(b, type);
        incomplete_[b.index].push_back({var, v});
        defs_.Set(Key(var, b), v);
        break;
      }
      const auto& preds = preds_[b.index];
      if (preds.size() == 1) {
        chain.push_back(b);
        b = preds[0].block;
        continue;
      }
      if (preds.empty()) {
        // Entry or unreachable block: the variable was never assigned.
        v = ZeroValue(type, b);
        defs_.Set(Key(var, b), v);
        break;
      }
      // A merge: define the param first (breaks cycles), then look the
      // variable up in every predecessor and pass the results.
      v = f_->AppendBlockParam(b, type);
      defs_.Set(Key(var, b), v);
      calls.push_back({true, b, v});
      for (size_t k = preds.size(); k-- > 0;) {
        calls.push_back({false, preds[k].block, Value()});
      }
      pending = true;
      break;
    }
    for (Block c : chain) defs_.Set(Key(var, c), v);
    if (!pending) results.push_back(v);
  }
  return results.back();
}

void FunctionBuilder::AddPredecessorArgs(Variable var, Block b, Value param) {
  (void)param;
  // Copy: UseVarIn may grow the tables.
  std::vector<Pred> preds = preds_[b.index];
  for (const Pred& p : preds) {
    Value a = UseVarIn(var, p.block);
    auto calls = f_->block_calls(p.inst);
    for (uint32_t k = 0; k < calls.size(); ++k) {
      if (calls[k].block == b) f_->AppendBlockCallArg(p.inst, k, a);
    }
  }
}

void FunctionBuilder::SealBlock(Block b) {
  EnsureBlockTables(b);
  if (sealed_[b.index]) return;
  sealed_[b.index] = 1;
  auto pending = std::move(incomplete_[b.index]);
  incomplete_[b.index].clear();
  for (auto& [var, param] : pending) AddPredecessorArgs(var, b, param);
}

void FunctionBuilder::SealAllBlocks() {
  for (uint32_t i = 0; i < f_->num_blocks(); ++i) SealBlock(Block(i));
}

}  // namespace kiln::ir
