// Entity references of the IR: dense uint32 ids into the Function's tables.
//
// Each kind is its own type so a Block cannot be passed where a Value is
// expected. The all-ones id is the "none" sentinel.
#ifndef KILN_CODEGEN_IR_ENTITIES_H_
#define KILN_CODEGEN_IR_ENTITIES_H_

#include <cstdint>
#include <limits>

namespace kiln::ir {

template <typename Tag>
struct EntityRef {
  static constexpr uint32_t kNoneIndex = std::numeric_limits<uint32_t>::max();
  uint32_t index = kNoneIndex;

  constexpr EntityRef() = default;
  constexpr explicit EntityRef(uint32_t i) : index(i) {}
  constexpr bool valid() const { return index != kNoneIndex; }
  constexpr explicit operator bool() const { return valid(); }
  friend constexpr bool operator==(EntityRef a, EntityRef b) {
    return a.index == b.index;
  }
  friend constexpr bool operator!=(EntityRef a, EntityRef b) {
    return a.index != b.index;
  }
  friend constexpr bool operator<(EntityRef a, EntityRef b) {
    return a.index < b.index;
  }
  template <typename H>
  friend H AbslHashValue(H h, EntityRef e) {
    return H::combine(std::move(h), e.index);
  }
};

struct ValueTag {};
struct BlockTag {};
struct InstTag {};
struct SigRefTag {};
struct FuncRefTag {};

// An SSA value: an instruction result or a block parameter. Printed "v7".
using Value = EntityRef<ValueTag>;
// A basic block. Printed "block3".
using Block = EntityRef<BlockTag>;
// An instruction. Not printed by name.
using Inst = EntityRef<InstTag>;
// A call signature declared in the function preamble. Printed "sig0".
using SigRef = EntityRef<SigRefTag>;
// A directly callable function declared in the preamble. Printed "fn0".
using FuncRef = EntityRef<FuncRefTag>;

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_ENTITIES_H_
