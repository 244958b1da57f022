#include "codegen/isa/lower_driver.h"

#include "codegen/ir/instructions.h"

namespace kiln::isa {

using ir::Opcode;
using ir::Type;
using ir::Value;

namespace {
bool IsConstOpcode(Opcode op) {
  return op == Opcode::kIconst || op == Opcode::kF32const ||
         op == Opcode::kF64const;
}
}  // namespace

LowerDriver::LowerDriver(const ir::Function& f, VCode* vcode, const Abi& abi)
    : f_(f), vcode_(vcode), abi_(abi) {}

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
  backend.Analyze();
  vcode_->DeclareBlocks(static_cast<uint32_t>(order_.size()));
  for (size_t k = 1; k < order_.size(); ++k) {
    for (Value p : f_.block_params(order_[k])) {
      vcode_->AddBlockParam(static_cast<uint32_t>(k), V(p));
    }
  }
  for (size_t k = 0; k < order_.size(); ++k) {
    vcode_->StartBlock(static_cast<uint32_t>(k));
    cur_block_ = static_cast<uint32_t>(k);
    if (k == 0) backend.LowerEntry();
    for (ir::Inst i : f_.insts(order_[k])) {
      if (backend.Skip(i)) continue;
      if (IsConstOpcode(f_.opcode(i))) continue;  // materialized at the uses
      cur_srcloc_ = f_.inst(i).srcloc;
      backend.BeforeInst(i);
      absl::Status st = backend.LowerInst(i);
      if (!st.ok()) return st;
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
  const Type t = T(v);
  VReg r = vcode_->NewVReg(ClassOf(t));
  backend_->MaterializeConst(r, t, f_.inst(DefInst(v)).imm);
  value_vreg_[v.index] = r;
  const_block_[v.index] = cur_block_ + 1;
  return r;
}

VReg LowerDriver::V(Value v) {
  if (IsConstValue(v)) return ConstReg(v);
  VReg& r = value_vreg_[v.index];
  if (r == kInvalidVReg) r = vcode_->NewVReg(ClassOf(T(v)));
  return r;
}

}  // namespace kiln::isa
