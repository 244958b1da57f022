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

// The wasm type of a preview1 function.
FuncType Preview1Type(const preview1::Function& f);

// The memory a guest call sees: the caller's export "memory" (empty when
// there is none: every pointer is then kFault).
GuestMemory CallerMemory(Caller<>& caller);

// Runs `f` on raw values (params in, the errno result out). An error
// status when the call must trap: after proc_exit, or when a host failure
// leaves nothing sensible to return.
absl::Status RunPreview1(const preview1::Function& f, WasiCtx& ctx,
                         const GuestMemory& mem, absl::Span<ValRaw> values);

// OK unless `module` imports from wasi_snapshot_preview1 and has a 64-bit
// memory (memory64): Unimplemented, naming why. Preview1 passes guest
// pointers as i32 and there is no standard memory64 WASI ABI (wasi-libc
// has no wasm64 target), so such a module is refused before it runs.
// WasiImports and `kiln run` check it; an embedder using AddToLinker calls
// it before Linker::Instantiate.
absl::Status CheckWasiMemory(const wasm::ModuleInfo& module);

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
