// Per-signature trampolines between the host and compiled wasm, in the
// host's calling convention (runtime/abi/call_conv.h). Argument placement
// (layout.h) and the instruction sequence (trampolines.cc) are
// ISA-neutral; each step is encoded by the ISA's Emitter (emitter.h,
// trampolines/<isa>/emitter_<isa>.cc).
//
// Values cross in an array of 16-byte ValRaw slots: slot i holds parameter
// i on the way in and result i on the way out (i32/f32 in the low 4 bytes,
// i64/f64/references in the low 8 bytes).
//
// Array-call (host -> wasm), one per signature:
//   void ArrayCall(const void* code, void* callee_vmctx, void* caller_vmctx,
//                  uint8_t* values)
// loads the parameters into registers / stack slots, calls `code`
// (passing a return area when the function has more than one result) and
// stores the results back. It has a frame-pointer frame, so backtraces walk
// through it. Run it under runtime::EnterWasm.
//
// Wasm-to-host (wasm -> host), one per signature: compiled code calls it
// like any wasm function, with the host context as callee VMContext; it
// spills the parameters into a ValRaw array on its own stack and calls
//   void dispatch(void* host_ctx, void* caller_vmctx, uint8_t* values)
// then returns the results from the array the wasm way.
#ifndef KILN_CODEGEN_TRAMPOLINES_TRAMPOLINES_H_
#define KILN_CODEGEN_TRAMPOLINES_TRAMPOLINES_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/code/code_memory.h"
#include "wasm/types.h"

namespace kiln::trampolines {

inline constexpr uint32_t kValRawSize = 16;

using ArrayCallFn = void (*)(const void* code, void* callee_vmctx,
                             void* caller_vmctx, uint8_t* values);
using HostDispatchFn = void (*)(void* host_ctx, void* caller_vmctx,
                                uint8_t* values);

struct Trampoline {
  std::unique_ptr<runtime::CodeMemory> memory;
  const void* entry = nullptr;
};

// Fails with kUnimplemented for v128 parameters or results.
absl::StatusOr<Trampoline> CompileArrayCall(const wasm::FuncType& type);
absl::StatusOr<Trampoline> CompileWasmToHost(const wasm::FuncType& type,
                                             HostDispatchFn dispatch);

}  // namespace kiln::trampolines

#endif  // KILN_CODEGEN_TRAMPOLINES_TRAMPOLINES_H_
