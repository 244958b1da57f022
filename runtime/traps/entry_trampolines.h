// The machine code that enters and leaves wasm. entry.cc owns when it is
// made and how it is cached; entry_trampolines.cc owns the instruction
// sequence for every ISA, with the argument, result, stack and frame
// registers of the host's CallConv (runtime/abi/call_conv.h); the ISA's
// EntryEmitter (entry_emitter.h, runtime/traps/<isa>/entry_emitter_<isa>.cc)
// encodes each step and lays out the frame.
//
// Contracts (every ISA):
//  * enter(EntryFrame* frame, const WasmCall* call) saves the callee-saved
//    registers, records the stack and frame pointers in `frame`
//    (entry_sp / entry_fp), copies call->stack_args to the outgoing
//    argument area, loads the integer / float argument registers from
//    call->args / call->float_args, calls call->fn, stores the integer
//    result registers into frame->ret_int and the first float/vector
//    result register into frame->ret_vec, and returns 1; it returns 0
//    when it arrived through the trap landing.
//  * landing: resumed (by the signal handler or unwind) with the stack
//    pointer = EntryFrame::entry_sp; restores the callee-saved registers
//    and returns 0 from whichever entry trampoline made that frame.
//  * unwind(entry_sp): sets the stack pointer and jumps to the landing.
//  * typed entry for n stack slots: R(void* a0, EntryFrame* frame,
//    rest...): the same frame as enter, loads the second integer argument
//    register from frame->arg1, copies the n stack slots of `rest`, calls
//    frame->code with every other argument register untouched and returns
//    the callee's result registers unchanged (see entry.h).
#ifndef KILN_RUNTIME_TRAPS_ENTRY_TRAMPOLINES_H_
#define KILN_RUNTIME_TRAPS_ENTRY_TRAMPOLINES_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/code/code_memory.h"

namespace kiln::runtime {

struct EntryFrame;
struct WasmCall;

namespace internal {

// enter(frame, call) -> 1 returned / 0 trapped.
using EnterFn = int (*)(EntryFrame*, const WasmCall*);
// unwind(entry_sp): resumes at the trap landing. Never returns.
using UnwindFn = void (*)(uintptr_t);

struct EntryTrampolines {
  std::unique_ptr<CodeMemory> code;
  EnterFn enter = nullptr;
  UnwindFn unwind = nullptr;
  uintptr_t landing = 0;
  const void* typed0 = nullptr;  // the typed entry for 0 stack slots
};

// enter, the landing, unwind and the typed entry with no stack slots, in
// one code blob (one landing serves every typed entry: they share a frame).
absl::StatusOr<EntryTrampolines> GenerateEntryTrampolines();
// The typed entry for `num_stack_slots` stack slots; entry at code->start().
absl::StatusOr<std::unique_ptr<CodeMemory>> GenerateTypedEntryTrampoline(
    uint32_t num_stack_slots);

}  // namespace internal
}  // namespace kiln::runtime

#endif  // KILN_RUNTIME_TRAPS_ENTRY_TRAMPOLINES_H_
