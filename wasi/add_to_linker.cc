// wasi::AddToLinker with one shared WasiCtx (see add_to_linker.h).
#include "wasi/add_to_linker.h"

namespace kiln::wasi {

absl::Status AddToLinker(LinkerBase& linker, WasiCtx* ctx, Abi abi) {
  for (const preview1::Function& f : preview1::Functions()) {
    const preview1::Function* fn = &f;
    absl::Status s = linker.FuncNewUnchecked(
        std::string(preview1::kModuleName), std::string(f.name),
        Preview1Type(f, abi),
        [fn, ctx, abi](Caller<>& caller, absl::Span<ValRaw> values) {
          return RunPreview1(*fn, *ctx, CallerMemory(caller, abi), values);
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace kiln::wasi
