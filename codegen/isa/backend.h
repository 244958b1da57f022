// The backend interface the engine/translator call: compile one IR function
// to machine code for one ISA. ISA-specific code lives in codegen/isa/<isa>/;
// an aarch64 backend implements the same interface.
#ifndef KILN_CODEGEN_ISA_BACKEND_H_
#define KILN_CODEGEN_ISA_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/isa/cpu_features.h"
#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln::ir {
class Function;
}

namespace kiln::isa {

// Code offset of a faulting instruction (or ud2) and why it traps.
struct TrapSite {
  uint32_t code_offset = 0;
  abi::TrapCode code = abi::TrapCode::kUnreachableCodeReached;
  friend bool operator==(const TrapSite& a, const TrapSite& b) {
    return a.code_offset == b.code_offset && a.code == b.code;
  }
};

enum class RelocTarget : uint8_t {
  kWasmFunction,  // index = function index in the module
  kBuiltin,       // index = runtime builtin (libcall) id
};

// How a relocation's field is encoded: per-ISA kinds (an AArch64 backend
// adds its own, e.g. a 26-bit BL offset), applied by the compiler's linker
// (codegen/compiler/compiler.cc).
enum class RelocEncoding : uint8_t {
  // x86-64: a PC-relative 32-bit field (call rel32):
  //   *(int32_t*)(code + offset) = target - (code + offset) + addend
  kX64PcRel32,
  // AArch64: the 26-bit word offset of a BL or B instruction at `offset`:
  //   imm26 = (target - (code + offset) + addend) >> 2
  kAarch64Call26,
};

// A field to patch at `offset` so that it refers to `target`.
struct Relocation {
  uint32_t offset = 0;
  RelocEncoding encoding = RelocEncoding::kX64PcRel32;
  RelocTarget target = RelocTarget::kWasmFunction;
  uint32_t index = 0;
  int32_t addend = -4;
};

// Code offset -> wasm bytecode offset, sorted by code offset.
struct SourceLoc {
  uint32_t code_offset = 0;
  uint32_t wasm_offset = 0;
};

struct CompiledFunction {
  std::vector<uint8_t> code;
  std::vector<TrapSite> traps;  // sorted by code_offset
  std::vector<Relocation> relocations;
  uint32_t frame_size = 0;  // bytes below the saved frame pointer
  std::vector<SourceLoc> source_map;  // empty: the IR has no source locations yet
  // Statistics.
  uint32_t num_spill_slots = 0;
};

struct CompileContext {
  // Where the prologue finds the stack limit. It traps with StackOverflow
  // when rsp (after allocating the frame) is below it:
  //   indirect (default, VMOffsets layout: the limit lives in the store's
  //   VMRuntimeLimits, reached through the VMContext header):
  //     mov r11, [vmctx + stack_limit_offset]
  //     cmp rsp, [r11 + stack_limit_field_offset]
  //   direct:
  //     cmp rsp, [vmctx + stack_limit_offset]
  //   jb  <ud2, trap entry StackOverflow>
  int32_t stack_limit_offset = abi::VMOffsets::kRuntimeLimits;
  bool stack_limit_indirect = true;
  int32_t stack_limit_field_offset = abi::VMOffsets::kRuntimeLimitsStackLimit;
  bool stack_check = true;
  CpuFeatures features = CpuFeatures::Host();
  // Run the register allocator's checker (regalloc::CheckAllocation) on
  // every function: a wrong allocation fails the compile (kInternal)
  // instead of miscompiling. For fuzzing and debugging (slow).
  bool check_regalloc = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // The byte that pads between functions in a linked blob (x64: int3).
  virtual uint8_t padding_byte() const = 0;
  virtual absl::StatusOr<CompiledFunction> Compile(const ir::Function& func,
                                                   const CompileContext& ctx) const = 0;
  // The lowered machine code before register allocation, for debugging.
  virtual absl::StatusOr<std::string> DumpVCode(const ir::Function& func,
                                                const CompileContext& ctx) const = 0;
};

// x86-64 System V with Kiln's hidden VMContext arguments (see x64/abi.h).
std::unique_ptr<Backend> CreateX64Backend();
// AArch64 AAPCS64 with the same hidden arguments (see aarch64/abi.h). It
// cross-compiles from any host (`kiln compile --target=aarch64`); it reads
// no CpuFeatures (ARMv8.0-A is enough for what it emits).
std::unique_ptr<Backend> CreateAarch64Backend();

}  // namespace kiln::isa

#endif  // KILN_CODEGEN_ISA_BACKEND_H_
