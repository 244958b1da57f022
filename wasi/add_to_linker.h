// wasi::AddToLinker: every wasi_snapshot_preview1 function defined into a
// Linker in one call, like wasmtime's `wasmtime_wasi::add_to_linker`.
//
//   struct Host { std::unique_ptr<wasi::WasiCtx> wasi; ... };
//   Linker<Host> linker(engine);
//   wasi::AddToLinker(linker, [](Host& h) -> wasi::WasiCtx& { return *h.wasi; });
//   Store<Host> store(engine, Host{...});
//   Result<Instance> inst = linker.Instantiate(store, module);
//   Result<std::vector<Val>> r = inst->GetFunc(store, "_start")->Call(store, {});
//   if (r.is_trap())
//     if (auto code = wasi::ExitCode(r.trap(), *store.data().wasi)) ...exited
//
// The functions are engine-owned host functions (store independent): each
// call finds its WasiCtx through the calling store's data and its memory
// through the calling instance's export "memory", re-read on every call
// (memory.grow may move it). proc_exit ends the call with a trap whose
// message is "wasi proc_exit(N)" after recording N in the WasiCtx.
//
// `abi` picks the signatures: Abi::kWasm32 (i32 pointers, the default) or
// Abi::kWasm64 for a module whose memory 0 is 64-bit (WasiAbi(module)).
// A linker holds one of the two (the names are the same).
#ifndef KILN_WASI_ADD_TO_LINKER_H_
#define KILN_WASI_ADD_TO_LINKER_H_

#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/host.h"
#include "wasi/preview1.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {

// `get_ctx` maps the store's data (T&) to its WasiCtx&. T must not be void.
template <typename T, typename GetCtx>
  requires(!std::is_void_v<T> && std::is_invocable_r_v<WasiCtx&, GetCtx&, T&>)
absl::Status AddToLinker(Linker<T>& linker, GetCtx get_ctx,
                         Abi abi = Abi::kWasm32) {
  for (const preview1::Function& f : preview1::Functions()) {
    const preview1::Function* fn = &f;
    absl::Status s = linker.FuncNewUnchecked(
        std::string(preview1::kModuleName), std::string(f.name),
        Preview1Type(f, abi),
        [fn, get_ctx, abi](Caller<>& caller, absl::Span<ValRaw> values) {
          WasiCtx& ctx = get_ctx(caller.template data<T>());
          return RunPreview1(*fn, ctx, CallerMemory(caller, abi), values);
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// Every store instantiated through `linker` shares the one `ctx` (which
// must outlive them): for Linker<void> and single-store embedders such as
// `kiln run`.
absl::Status AddToLinker(LinkerBase& linker, WasiCtx* ctx,
                         Abi abi = Abi::kWasm32);

}  // namespace kiln::wasi

#endif  // KILN_WASI_ADD_TO_LINKER_H_
