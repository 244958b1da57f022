// Argument placement shared by every ISA, and the host's calling
// convention.
//
// Kiln's compiled code uses the platform C ABI with two hidden leading
// arguments (callee VMContext*, caller VMContext*); more than one result
// goes through a return-area pointer passed as an extra last integer
// argument. Each ISA describes its registers in runtime/abi/<isa>/
// call_conv.h (a `CallConv` struct of constants); `ArgPlacer` turns a
// sequence of integer / float arguments into registers and stack slots the
// same way for codegen (isa::<isa>::Abi), the trampolines, the runtime's
// entry trampolines and TypedFunc (StackSlotsFor in runtime/traps/entry.h).
#ifndef KILN_RUNTIME_ABI_CALL_CONV_H_
#define KILN_RUNTIME_ABI_CALL_CONV_H_

#include <cstdint>
#include <vector>

#if defined(__x86_64__)
#include "runtime/abi/x64/call_conv.h"
#elif defined(__aarch64__)
#include "runtime/abi/aarch64/call_conv.h"
#else
#error "Kiln has calling conventions for x86-64 and AArch64 only"
#endif

namespace kiln::abi {

// Number of hidden leading arguments of every compiled wasm function.
inline constexpr int kNumHiddenArgs = 2;

// Where one argument goes: the `reg`-th argument register of its class
// (an index into CallConv::kIntArgRegs / kFloatArgRegs), or stack slot
// `stack_slot` (CallConv::kStackSlotSize bytes each, from the lowest
// address of the outgoing arguments).
struct ArgSlot {
  bool in_reg = true;
  bool is_float = false;
  uint8_t reg = 0;
  uint32_t stack_slot = 0;
};

// Assigns arguments left to right.
template <typename Conv>
class ArgPlacer {
 public:
  constexpr ArgSlot Next(bool is_float) {
    ArgSlot s;
    s.is_float = is_float;
    int& next = (is_float && !Conv::kSharedArgCounter) ? next_float_ : next_int_;
    const int limit = is_float ? Conv::kNumFloatArgRegs : Conv::kNumIntArgRegs;
    if (next < limit) {
      s.reg = static_cast<uint8_t>(next++);
    } else {
      s.in_reg = false;
      s.stack_slot = stack_slots_++;
    }
    return s;
  }
  constexpr uint32_t stack_slots() const { return stack_slots_; }

 private:
  int next_int_ = 0;
  int next_float_ = 0;
  uint32_t stack_slots_ = 0;
};

// Bytes of stack arguments a wasm callee under `Conv` pops when it returns:
// `slots` stack slots rounded up to the stack alignment (the area the
// caller reserved), or 0 where the caller pops them.
template <typename Conv>
constexpr int32_t CalleePoppedBytes(uint32_t slots) {
  if (!Conv::kCalleePopsStackArgs) return 0;
  const uint32_t bytes = Conv::kStackSlotSize * slots;
  return static_cast<int32_t>((bytes + Conv::kStackAlign - 1) &
                              ~uint32_t{Conv::kStackAlign - 1});
}

#if defined(__x86_64__)
using HostCallConv = x64::CallConv;
#elif defined(__aarch64__)
using HostCallConv = aarch64::CallConv;
#endif

// The multi-value return area: the results in order, each at the sum of
// the sizes of the ones before it, a v128 taking 16 bytes (accessed
// unaligned) and every other type 8; without v128, result k is at 8 * k.
// Returns each result's offset and sets `*size` to the area's size.
// `is_v128(t)` says whether a result type is v128 (codegen passes IR
// types, the trampolines wasm types).
inline constexpr int32_t kReturnAreaSlotSize = 8;
inline constexpr int32_t kReturnAreaV128Size = 16;
template <typename Types, typename IsV128>
std::vector<int32_t> ReturnAreaOffsets(const Types& results, IsV128 is_v128,
                                       int32_t* size) {
  std::vector<int32_t> offsets;
  int32_t at = 0;
  for (const auto& t : results) {
    offsets.push_back(at);
    at += is_v128(t) ? kReturnAreaV128Size : kReturnAreaSlotSize;
  }
  *size = at;
  return offsets;
}

}  // namespace kiln::abi

#endif  // KILN_RUNTIME_ABI_CALL_CONV_H_
