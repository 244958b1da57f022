// Opcodes (generated from opcodes.def), instruction formats, condition
// codes, memory flags and trap code names.
#ifndef KILN_CODEGEN_IR_INSTRUCTIONS_H_
#define KILN_CODEGEN_IR_INSTRUCTIONS_H_

#include <cstdint>
#include <optional>
#include "absl/strings/string_view.h"

#include "codegen/ir/types.h"
#include "runtime/abi/trap_code.h"

namespace kiln::ir {

using TrapCode = ::kiln::abi::TrapCode;

enum class Opcode : uint8_t {
#define KILN_IR_OPCODE(name, text, format, result, operands, flags) k##name,
#include "codegen/ir/opcodes.def"
#undef KILN_IR_OPCODE
};

inline constexpr int kNumOpcodes = 0
#define KILN_IR_OPCODE(name, text, format, result, operands, flags) +1
#include "codegen/ir/opcodes.def"
#undef KILN_IR_OPCODE
    ;

// Which operands and immediates an instruction carries; drives the printer,
// parser and verifier.
enum class InstFormat : uint8_t {
  kUnaryImm,      // iconst.T imm
  kUnaryIeee32,   // f32const imm
  kUnaryIeee64,   // f64const imm
  kUnary,         // op[.T] x
  kBinary,        // op x, y
  kBinaryImm,     // op x, imm
  kTernary,       // op c, x, y
  kIntCompare,    // icmp cc, x, y
  kFloatCompare,  // fcmp cc, x, y
  kLoad,          // load.T flags p+off
  kStore,         // store flags x, p+off
  kHeapLoad,      // heap_load.T base, index+off
  kHeapStore,     // heap_store x, base, index+off
  kCall,          // call fnN(args)
  kCallIndirect,  // call_indirect sigN, callee(args)
  kTrap,          // trap code
  kCondTrap,      // trapz x, code
  kJump,          // jump blockN(args)
  kBrif,          // brif c, blockN(args), blockM(args)
  kBrTable,       // br_table i, blockD, [blockA, blockB]
  kReturn,        // return args
  kVector,        // iadd.i32x4 x, y; layout from the row (codegen/ir/simd.h)
  kAtomic,        // atomic_rmw_add.T wN x, base, index+off (opcodes.def)
  kNullary,       // fence
};

enum class ResultRule : uint8_t {
  kNone,
  kCtrl,        // One result of the controlling type (the ".T" suffix).
  kSameAsArg0,  // One result, type of the first operand.
  kSameAsArg1,  // One result, type of the second operand (select).
  kI32,
  kF32,
  kF64,
  kCall,  // The signature's results.
  kVector,  // From the vector row's signature and shape (simd.h).
};

enum class TypeClass : uint8_t { kNone, kInt, kFloat, kAny };

enum OpFlag : uint8_t {
  kPure = 0,
  kCanTrap = 1 << 0,
  kSideEffects = 1 << 1,
  kReadsMemory = 1 << 2,
  kTerminator = 1 << 3,
  kBranch = 1 << 4,
  kCall = 1 << 5,
  kReturn = 1 << 6,
};

struct OpcodeInfo {
  absl::string_view name;
  InstFormat format;
  ResultRule result;
  TypeClass operands;
  uint8_t flags;
};

const OpcodeInfo& GetOpcodeInfo(Opcode op);
inline absl::string_view OpcodeName(Opcode op) { return GetOpcodeInfo(op).name; }
std::optional<Opcode> ParseOpcode(absl::string_view name);

inline bool IsTerminator(Opcode op) {
  return GetOpcodeInfo(op).flags & kTerminator;
}
inline bool IsBranch(Opcode op) { return GetOpcodeInfo(op).flags & kBranch; }
inline bool CanTrap(Opcode op) { return GetOpcodeInfo(op).flags & kCanTrap; }
inline bool HasSideEffects(Opcode op) {
  return GetOpcodeInfo(op).flags & kSideEffects;
}
inline bool ReadsMemory(Opcode op) {
  return GetOpcodeInfo(op).flags & kReadsMemory;
}
inline bool IsCall(Opcode op) { return GetOpcodeInfo(op).flags & kCall; }

// InstData::code of a call or call_indirect that is a wasm tail call
// (return_call / return_call_indirect): the next instruction is a return
// of exactly its results. Its meaning is call-then-return (the
// interpreter and the passes need nothing else); backends turn the pair
// into a jump that reuses the caller's frame when the callee's stack
// arguments fit in the caller's incoming argument area.
inline constexpr uint8_t kCallIsTail = 1;

// Integer condition codes. s = signed, u = unsigned.
enum class IntCC : uint8_t { kEq, kNe, kSlt, kSle, kSgt, kSge, kUlt, kUle, kUgt, kUge };
absl::string_view IntCCName(IntCC cc);
std::optional<IntCC> ParseIntCC(absl::string_view s);
IntCC InverseIntCC(IntCC cc);  // !(a cc b) == (a inv b)
IntCC SwapIntCC(IntCC cc);     // (a cc b) == (b swap a)

// Float condition codes with the semantics wasm needs: eq, lt, le, gt, ge
// and ord are false when either operand is NaN; ne and uno are true.
enum class FloatCC : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe, kOrd, kUno };
absl::string_view FloatCCName(FloatCC cc);
std::optional<FloatCC> ParseFloatCC(absl::string_view s);

// Flags on raw-pointer loads and stores.
enum MemFlag : uint8_t {
  kMemNone = 0,
  kMemNotrap = 1 << 0,    // Cannot fault (e.g. VMContext fields).
  kMemAligned = 1 << 1,   // Naturally aligned.
  kMemReadonly = 1 << 2,  // Never written while the function runs.
  // Alias regions (at most one; codegen/opt/alias.h): what the pointer
  // reaches, so accesses to different regions are known not to overlap.
  // Without one, a load is volatile to the optimizer (never merged, moved
  // or forwarded: the epoch counter changes under us) and a store may
  // write anything.
  kMemVmctx = 1 << 3,   // A mutable VMContext field (memory length).
  kMemGlobal = 1 << 4,  // A wasm global's value.
  kMemTable = 1 << 5,   // A table's definition (size, base) or its slots.
};
inline constexpr int kNumMemFlags = 6;
absl::string_view MemFlagName(int bit_index);  // "notrap", "aligned", ...
std::optional<MemFlag> ParseMemFlag(absl::string_view s);

// Text names of trap codes: the snake_case of abi::TrapCodeName
// ("integer_division_by_zero", "unreachable_code_reached").
absl::string_view TrapCodeTextName(TrapCode code);
std::optional<TrapCode> ParseTrapCode(absl::string_view s);

// InstData::code of a heap_* load or store of a shared memory (threads):
// other threads may write it at any time, so passes never forward,
// remove or hoist such a load, nor forward such a store to a load
// (codegen/opt/alias.h). Printed "shared".
inline constexpr uint8_t kHeapShared = 1;

// Bytes accessed by a heap load/store (the memory width, not the type).
int HeapAccessBytes(Opcode op, Type ctrl_type);

// Atomic accesses (InstFormat::kAtomic): value operands before the heap
// base and index (0 load, 1 store / rmw, 2 cas); the bytes accessed are
// 1 << InstData::code.
inline bool IsAtomic(Opcode op) {
  return GetOpcodeInfo(op).format == InstFormat::kAtomic;
}
int AtomicValueArgs(Opcode op);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_INSTRUCTIONS_H_
