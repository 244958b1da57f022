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

}  // namespace kiln::isa
