// The ABI object: one per ISA (x64::Abi in codegen/isa/x64/abi.h). It owns
// everything lowering and emission need to know about the calling
// convention -- where arguments and results go, which registers a call
// clobbers and a callee saves, the register environment handed to the
// allocator -- so the rest of the code generator asks it instead of naming
// registers. Its placement rules are the ISA's abi::<isa>::CallConv
// (runtime/abi/<isa>/call_conv.h) run through abi::ArgPlacer, the same
// rules the trampolines, the runtime's entry trampolines and TypedFunc use.
#ifndef KILN_CODEGEN_ISA_ABI_H_
#define KILN_CODEGEN_ISA_ABI_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "codegen/ir/types.h"
#include "codegen/isa/reg.h"
#include "codegen/regalloc/regalloc.h"

namespace kiln::isa {

// Where one argument lives at a call boundary.
struct ArgLoc {
  bool in_reg = true;
  PReg reg;
  int32_t stack_offset = 0;  // bytes from the first stack argument
};

class Abi {
 public:
  virtual ~Abi() = default;
  virtual std::string_view name() const = 0;

  // Placement of `types` (an IR signature's params: the hidden VMContext
  // arguments first) and, with `ret_area_ptr`, one more pointer argument:
  // the multi-value return area. `*num_stack_slots` gets the number of
  // stack argument slots.
  virtual std::vector<ArgLoc> ArgLocs(absl::Span<const ir::Type> types,
                                      bool ret_area_ptr,
                                      int* num_stack_slots) const = 0;
  // The register class values of type `t` live in.
  virtual RegClass RegClassOf(ir::Type t) const = 0;
  // The register a single result of type `t` is returned in.
  virtual PReg ResultReg(ir::Type t) const = 0;
  // Bytes of one stack argument slot.
  virtual int32_t StackSlotSize() const = 0;
  // Bytes from the frame pointer to the first incoming stack argument.
  virtual int32_t IncomingArgsOffset() const = 0;
  // Bytes a wasm callee with `num_stack_slots` stack-argument slots pops
  // when it returns (abi::CalleePoppedBytes; 0: the caller pops them).
  virtual int32_t CalleePoppedBytes(int num_stack_slots) const = 0;
  // Byte offset of each result in a multi-value return area, and the
  // area's size in `*size` (abi::ReturnAreaOffsets: 8 bytes per result,
  // 16 for a v128).
  virtual std::vector<int32_t> ReturnAreaOffsets(
      absl::Span<const ir::Type> results, int32_t* size) const = 0;

  virtual const regalloc::MachineEnv& machine_env() const = 0;
  // Registers a call clobbers (every caller-saved register).
  virtual RegSet CallClobbers() const = 0;
  virtual RegSet CalleeSaved() const = 0;
};

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_ABI_H_
