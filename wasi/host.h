// Glue between the WASI core (preview1.h) and the engine: each
// wasi_snapshot_preview1 function as a host function that reads the
// caller's exported "memory" afresh on every call (memory.grow may move
// it) and runs the core on a GuestMemory view of it.
//
// proc_exit: the core records the exit code in the WasiCtx and the host
// function then traps with the message "wasi proc_exit(N)". The embedder
// recognizes the exit by ExitCode(ctx) being set after the call ended in a
// trap (kiln run turns it into its own exit code); it is not a crash.
#ifndef KILN_WASI_HOST_H_
#define KILN_WASI_HOST_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/kiln.h"
#include "wasi/preview1.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {

// The wasm type of a preview1 function for a guest of pointer width `abi`
// (its 'p' parameters are i32 or i64).
FuncType Preview1Type(const preview1::Function& f, Abi abi);

// The memory a guest call sees: the caller's export "memory" (empty when
// there is none: every pointer is then kFault), read with `abi`'s struct
// layouts.
GuestMemory CallerMemory(Caller<>& caller, Abi abi);

// Runs `f` on raw values (params in, the errno result out); `mem.abi()`
// says which parameters are i64. An error
// status when the call must trap: after proc_exit, or when a host failure
// leaves nothing sensible to return.
absl::Status RunPreview1(const preview1::Function& f, WasiCtx& ctx,
                         const GuestMemory& mem, absl::Span<ValRaw> values);

// The pointer width a module's WASI imports use: kWasm64 when its memory
// 0 is 64-bit (memory64: every pointer and size_t parameter is an i64 and
// iovec/prestat/argv fields are 8 bytes, as wasi-libc's wasm64 experiments
// and wasmtime's memory64 WASI build it), else kWasm32. WasiImports and
// `kiln run` use it; an embedder using AddToLinker passes it.
Abi WasiAbi(const wasm::ModuleInfo& module);

// The trap message of proc_exit(code).
std::string ExitMessage(uint32_t code);

// The guest's exit code when `trap` (which ended a call into a guest using
// `ctx`) is proc_exit's, else nullopt (a real trap).
std::optional<uint32_t> ExitCode(const Trap& trap, const WasiCtx& ctx);

// Without a Linker: host functions for every import of `module` from
// wasi_snapshot_preview1, in import order, each bound to `ctx` (which must
// outlive the store). An import from any other module (including the old
// wasi_unstable), an unknown WASI name or a wrong signature is an error
// naming the import.
absl::StatusOr<std::vector<Extern>> WasiImports(StoreOpaque& store,
                                                const Module& module,
                                                WasiCtx* ctx);

}  // namespace kiln::wasi

#endif  // KILN_WASI_HOST_H_
