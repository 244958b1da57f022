// The ISA-neutral lowering driver: IR -> VCode over virtual registers.
// It owns what every ISA's instruction selection needs the same way --
// block order, the value -> vreg mapping (register class from the ABI
// object), constant rematerialization per block, use counts, block
// parameters, source locations -- and calls the ISA's LowerBackend for
// the rest: fusion decisions, the entry block's argument placement (asking
// the ABI object), constants' instructions, and each instruction.
//
// x86-64: x64/lower.cc (class Lowerer implements LowerBackend).
#ifndef KILN_CODEGEN_ISA_LOWER_DRIVER_H_
#define KILN_CODEGEN_ISA_LOWER_DRIVER_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "codegen/ir/function.h"
#include "codegen/isa/abi.h"
#include "codegen/isa/reg.h"
#include "codegen/isa/vcode.h"

namespace kiln::isa {

// What an ISA implements; the driver calls it in this order: Analyze once,
// then per block (in layout order; the entry block first gets LowerEntry)
// BeforeInst + LowerInst for every instruction that is not a constant and
// not Skip()ped.
class LowerBackend {
 public:
  virtual ~LowerBackend() = default;
  // Use counts are final: decide sinking / folding / dead code.
  virtual void Analyze() {}
  // True when `inst` emits no code of its own (sunk into a user, dead).
  virtual bool Skip(ir::Inst inst) const { return false; }
  // Defines the entry block's parameters from the ABI object's placement.
  virtual void LowerEntry() = 0;
  // Right before LowerInst (e.g. materialize operand constants first).
  virtual void BeforeInst(ir::Inst inst) {}
  virtual absl::Status LowerInst(ir::Inst inst) = 0;
  // Loads constant `bits` (iconst / f32const / f64const of type `type`)
  // into `dst` in the current block.
  virtual void MaterializeConst(VReg dst, ir::Type type, int64_t bits) = 0;
};

class LowerDriver {
 public:
  LowerDriver(const ir::Function& f, VCode* vcode, const Abi& abi);

  // Lowers the whole function into the VCode.
  absl::Status Run(LowerBackend& backend);

  // --- Queries for the ISA's instruction selection.
  const ir::Function& func() const { return f_; }
  const Abi& abi() const { return abi_; }
  // The vreg of `v`; constants are rematerialized in each block that uses
  // them (short live ranges instead of values live across the function).
  VReg V(ir::Value v);
  // The constant's vreg in the current block (materialized on first use).
  VReg ConstReg(ir::Value v);
  ir::Type T(ir::Value v) const { return f_.value_type(v); }
  RegClass ClassOf(ir::Type t) const;
  ir::Inst DefInst(ir::Value v) const;
  bool IsConstValue(ir::Value v) const;
  // The iconst value (i32 sign-extended) of `v`, if it is one.
  bool ConstOf(ir::Value v, int64_t* out) const;
  // Block order: VCode block index of an IR block, and the IR blocks in
  // VCode order.
  uint32_t vblock(ir::Block b) const { return vblock_[b.index]; }
  const std::vector<ir::Block>& order() const { return order_; }
  uint32_t cur_block() const { return cur_block_; }
  // Source location of the instruction being lowered (~0u: none).
  uint32_t cur_srcloc() const { return cur_srcloc_; }
  // Uses of each value (instruction operands and block-call arguments).
  const std::vector<uint32_t>& total_uses() const { return total_uses_; }

 private:
  void CountUses();

  const ir::Function& f_;
  VCode* vcode_;
  const Abi& abi_;
  LowerBackend* backend_ = nullptr;
  std::vector<ir::Block> order_;
  std::vector<uint32_t> vblock_;
  std::vector<VReg> value_vreg_;
  // 1 + the block where value_vreg_ holds the constant (0: none yet).
  std::vector<uint32_t> const_block_;
  std::vector<uint32_t> total_uses_;
  uint32_t cur_block_ = 0;
  uint32_t cur_srcloc_ = ~0u;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_LOWER_DRIVER_H_
