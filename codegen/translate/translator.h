// WebAssembly function body -> IR (ir::Function), built in the same walk
// as validation (wasm::FunctionBodyDecoder<Translator>).
//
// IR conventions (the contract with the backend, codegen/isa/x64/abi.h):
//
//  * Signature of a translated function (and of every call):
//      params  = [i64 callee_vmctx, i64 caller_vmctx, wasm params...]
//      results = [wasm results...]
//    Reference types (funcref, externref) are i64 pointers (0 = null).
//    Multi-value results stay as several IR results: the IR has no stack
//    slots, so the return area is the backend's job. With more than one
//    result the backend passes a return-area pointer as an extra last
//    integer argument at call sites (allocated in the caller's frame) and
//    lowers `return` to stores at [ptr + 8*k]; the IR never mentions it.
//  * Hidden args at calls: direct call to a defined function passes
//    (own vmctx, own vmctx); to an import (VMFunctionImport.vmctx, own
//    vmctx) through call_indirect on VMFunctionImport.code; call_indirect
//    through a table passes (VMFuncRef.vmctx, own vmctx).
//  * Builtins (runtime/abi/builtins.def) are call_indirect through
//    [[vmctx + VMOffsets::kBuiltins] + 8*id] with the builtin's C signature
//    (first arg: own vmctx); Ptr -> i64, I32 -> i32.
//  * Every instruction carries its wasm byte offset (module-relative) as
//    its IR source location (InstData::srcloc).
//  * Locals are SSA variables (FunctionBuilder); nothing goes to memory.
//    Locals a loop reads but never assigns are bound to their pre-loop
//    values in the header (a cheap pre-walk finds them), so they do not
//    become header parameters.
//  * Linear memory: heap_* ops on (base, i32 index, u32 offset). Each
//    memory's base is loaded from the VMContext once per function, in the
//    entry block (memory 0 defined: [vmctx + 48]; defined memory d:
//    [vmctx + DefinedMemoryBase(d)]; imported memory i:
//    [[vmctx + ImportedMemoryFrom(i)] + 0]; multi-memory) and
//    reloaded after anything that can grow memory only if the memory can
//    move (never with the default 4 GiB reservation). When offset + access
//    size > TranslateOptions::memory_guard_bytes an explicit bounds check
//    against VMMemoryDefinition::length is emitted before the access.
//
// Not supported: an opcode the translator has no case for ->
// absl::StatusCode::kUnimplemented naming the function and opcode.
#ifndef KILN_CODEGEN_TRANSLATE_TRANSLATOR_H_
#define KILN_CODEGEN_TRANSLATE_TRANSLATOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "codegen/ir/function.h"
#include "runtime/abi/vm_offsets.h"
#include "wasm/module_info.h"

namespace kiln::translate {

struct TranslateOptions {
  // Bytes of PROT_NONE guard after the 4 GiB reservation
  // (runtime::LinearMemory::kGuardBytes). Accesses with static
  // offset + size <= this need no explicit bounds check. 0 = always check.
  uint64_t memory_guard_bytes = uint64_t{2} << 30;
  // Funcref table slots carry abi::kFuncRefInitBit when initialized; a
  // slot without it is resolved through the TableGetLazyInit builtin (then
  // the bit is masked off). false: slots hold plain VMFuncRef* (or null).
  bool funcref_table_init_bit = abi::kFuncRefTableInitBit;
  // Fuel metering (like wasmtime's consume_fuel): each operator costs 1
  // except nop, drop, block, loop, end, else, unreachable and return (0).
  // A basic block's cost is added to VMRuntimeLimits::fuel_consumed before
  // control leaves it (and before calls); function entries and loop
  // headers trap OutOfFuel when fuel_consumed >= 0.
  bool consume_fuel = false;
  // Epoch interruption: function entries and loop headers compare the
  // engine's epoch (*VMRuntimeLimits::epoch_ptr) with the store's
  // epoch_deadline and call the NewEpoch builtin (out of line) when it has
  // been reached.
  bool epoch_interruption = false;
  // Which permitted result each relaxed SIMD instruction gives.
  struct RelaxedSimd {
    // The WebAssembly 3.0 deterministic profile's, everywhere
    // (Config::relaxed_simd_deterministic).
    bool deterministic = false;
    // Otherwise, the target's faster forms where it has them (set by the
    // compiler from the CPU features): relaxed_madd/nmadd fused (FMA),
    // relaxed_laneselect of 8-, 32- and 64-bit lanes as a blend on each
    // lane's top bit (a non-destructive blendv, AVX).
    bool fused_madd = false;
    bool blendv = false;
  };
  RelaxedSimd relaxed_simd;
};

// The IR signature of a wasm function type (hidden args first).
ir::Signature IrSignature(const wasm::FuncType& type);

// The translated code lays out its VMContext accesses with
// abi::VMContextCountsFor (runtime/abi/vm_context_counts.h), as the
// runtime does.

// Translates defined functions. Reuses its buffers across calls; one per
// thread.
class FunctionTranslator {
 public:
  FunctionTranslator(const wasm::ModuleInfo& module,
                     const TranslateOptions& options);
  ~FunctionTranslator();
  FunctionTranslator(const FunctionTranslator&) = delete;
  FunctionTranslator& operator=(const FunctionTranslator&) = delete;

  // Translates defined function `func_index` into `*out` (which is
  // overwritten). Body bytes come from module.bytes, or from `body` if
  // non-empty (`body_offset` is its offset in the module, for errors and
  // source locations).
  absl::Status Translate(uint32_t func_index, ir::Function* out);
  absl::Status Translate(uint32_t func_index, absl::Span<const uint8_t> body,
                         size_t body_offset, ir::Function* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Name used for function `func_index` in IR text: the name section's name
// if any, else "f<index>".
std::string FunctionName(const wasm::ModuleInfo& module, uint32_t func_index);

}  // namespace kiln::translate

#endif  // KILN_CODEGEN_TRANSLATE_TRANSLATOR_H_
