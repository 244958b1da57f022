#include "codegen/isa/vcode.h"

#include "absl/strings/str_cat.h"

namespace kiln::isa {

std::string Allocation::ToString() const {
  switch (kind_) {
    case kNone: return "none";
    case kReg: return absl::StrCat(reg().cls() == RegClass::kInt ? "r" : "f", reg().hw());
    case kStack: return absl::StrCat("slot", index_);
  }
  return "?";
}

void VCode::StartBlock(uint32_t block) {
  current_block_ = block;
  Block& b = blocks_[block];
  b.inst_begin = num_insts();
  b.succ_begin = num_edges();
  b.param_begin = static_cast<uint32_t>(vreg_list_.size());
  vreg_list_.insert(vreg_list_.end(), pending_params_[block].begin(),
                    pending_params_[block].end());
  b.param_end = static_cast<uint32_t>(vreg_list_.size());
  pending_params_[block].clear();
  pending_params_[block].shrink_to_fit();
}

uint32_t VCode::AddInst(absl::Span<const Operand> ops, uint16_t flags, RegSet clobbers) {
  InstInfo info;
  info.op_begin = static_cast<uint32_t>(operands_.size());
  info.op_count = static_cast<uint16_t>(ops.size());
  info.flags = flags;
  info.clobbers = clobbers;
  operands_.insert(operands_.end(), ops.begin(), ops.end());
  insts_.push_back(info);
  return num_insts() - 1;
}

void VCode::AddEdge(uint32_t succ, absl::Span<const VReg> args) {
  Edge e;
  e.block = succ;
  e.arg_begin = static_cast<uint32_t>(vreg_list_.size());
  vreg_list_.insert(vreg_list_.end(), args.begin(), args.end());
  e.arg_end = static_cast<uint32_t>(vreg_list_.size());
  edges_.push_back(e);
}

void VCode::EndBlock() {
  Block& b = blocks_[current_block_];
  b.inst_end = num_insts();
  b.succ_end = num_edges();
  current_block_ = ~0u;
}

std::vector<Operand> FixedUses(absl::Span<const VReg> vals,
                               absl::Span<const PReg> regs) {
  std::vector<Operand> ops;
  for (size_t k = 0; k < vals.size(); ++k) {
    ops.push_back(Operand::Use(vals[k]).Fixed(regs[k]));
  }
  return ops;
}

std::vector<Operand> CallOperands(VReg callee, absl::Span<const VReg> args,
                                  absl::Span<const PReg> arg_regs,
                                  absl::Span<const VReg> rets,
                                  absl::Span<const PReg> ret_regs) {
  std::vector<Operand> ops;
  if (callee != kInvalidVReg) ops.push_back(Operand::Use(callee));
  for (size_t k = 0; k < args.size(); ++k) {
    ops.push_back(Operand::Use(args[k]).Fixed(arg_regs[k]));
  }
  for (size_t k = 0; k < rets.size(); ++k) {
    ops.push_back(Operand::Def(rets[k]).Fixed(ret_regs[k]));
  }
  return ops;
}

std::string InstText(absl::string_view name, int size, absl::string_view suffix,
                     absl::Span<const Operand> ops, int64_t imm) {
  std::string s = absl::StrCat(name, ".", size);
  if (!suffix.empty()) absl::StrAppend(&s, ".", suffix);
  for (const Operand& op : ops) absl::StrAppend(&s, " v", op.vreg);
  if (imm != 0) absl::StrAppend(&s, " #", imm);
  return s;
}

std::string PrintVCode(const VCode& vc,
                       const std::function<std::string(uint32_t)>& inst) {
  std::string s;
  for (uint32_t b = 0; b < vc.num_blocks(); ++b) {
    absl::StrAppend(&s, "block", b);
    auto params = vc.params(b);
    if (!params.empty()) {
      absl::StrAppend(&s, "(");
      for (size_t k = 0; k < params.size(); ++k) {
        absl::StrAppend(&s, k ? ", " : "", "v", params[k]);
      }
      absl::StrAppend(&s, ")");
    }
    absl::StrAppend(&s, ":\n");
    for (uint32_t i = vc.block(b).inst_begin; i < vc.block(b).inst_end; ++i) {
      absl::StrAppend(&s, "  ", inst(i), "\n");
    }
    for (const VCode::Edge& e : vc.succs(b)) {
      absl::StrAppend(&s, "  -> block", e.block, "(");
      auto args = vc.edge_args(e);
      for (size_t k = 0; k < args.size(); ++k) {
        absl::StrAppend(&s, k ? ", " : "", "v", args[k]);
      }
      absl::StrAppend(&s, ")\n");
    }
  }
  return s;
}

}  // namespace kiln::isa
