// WASI host functions over the engine (see host.h).
#include "wasi/host.h"

#include "absl/strings/str_cat.h"

namespace kiln::wasi {

namespace {
// Whether parameter kind `k` (a letter of preview1.def) is an i64 under
// `abi`.
bool IsI64(char k, Abi abi) {
  return k == 'I' || (k == 'p' && abi == Abi::kWasm64);
}
}  // namespace

FuncType Preview1Type(const preview1::Function& f, Abi abi) {
  FuncType t;
  for (char c : f.params) {
    t.params.push_back(IsI64(c, abi) ? ValType::kI64 : ValType::kI32);
  }
  if (f.has_result) t.results.push_back(ValType::kI32);
  return t;
}

GuestMemory CallerMemory(Caller<>& caller, Abi abi) {
  std::optional<Extern> ext = caller.GetExport("memory");
  if (!ext.has_value() || ext->memory() == nullptr) return GuestMemory();
  // The caller's own export: always of the caller's store.
  const Memory& m = *ext->memory();
  absl::StatusOr<uint8_t*> data = m.data(caller.store());
  absl::StatusOr<uint64_t> size = m.data_size(caller.store());
  if (!data.ok() || !size.ok()) return GuestMemory();
  return GuestMemory(*data, *size, abi);
}

Abi WasiAbi(const wasm::ModuleInfo& module) {
  return !module.memories.empty() && module.memories[0].type.is64
             ? Abi::kWasm64
             : Abi::kWasm32;
}

std::string ExitMessage(uint32_t code) {
  return absl::StrCat("wasi proc_exit(", code, ")");
}

std::optional<uint32_t> ExitCode(const Trap& trap, const WasiCtx& ctx) {
  if (!ctx.exit_code().has_value() || trap.code() != TrapCode::kHostError ||
      trap.message() != ExitMessage(*ctx.exit_code())) {
    return std::nullopt;
  }
  return ctx.exit_code();
}

absl::Status RunPreview1(const preview1::Function& f, WasiCtx& ctx,
                         const GuestMemory& mem, absl::Span<ValRaw> values) {
  uint64_t args[16] = {};
  const Abi abi = mem.abi();
  for (size_t i = 0; i < f.params.size(); ++i) {
    args[i] = IsI64(f.params[i], abi) ? static_cast<uint64_t>(values[i].i64)
                                      : static_cast<uint32_t>(values[i].i32);
  }
  const uint32_t r = f.call(ctx, mem, args);
  if (!f.has_result) {
    // proc_exit: end the guest's run.
    return absl::AbortedError(ExitMessage(ctx.exit_code().value_or(0)));
  }
  values[0] = ValRaw::I32(static_cast<int32_t>(r));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Extern>> WasiImports(StoreOpaque& store,
                                                const Module& module,
                                                WasiCtx* ctx) {
  const Abi abi = WasiAbi(module.info());
  std::vector<Extern> out;
  for (const wasm::Import& imp : module.info().imports) {
    const std::string where =
        absl::StrCat("import ", imp.module, "::", imp.name);
    if (imp.module != preview1::kModuleName) {
      return absl::NotFoundError(
          absl::StrCat(where, ": unknown import (only ",
                       std::string(preview1::kModuleName), " is provided)"));
    }
    const preview1::Function* f = preview1::FindFunction(imp.name);
    if (f == nullptr || imp.kind != wasm::ExternKind::kFunction) {
      return absl::NotFoundError(absl::StrCat(
          where, ": not a ", std::string(preview1::kModuleName), " function"));
    }
    const FuncType type = Preview1Type(*f, abi);
    const FuncType& want = module.info().types.at(imp.func_type_index);
    if (!(want == type)) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": incompatible import type: expected ",
                       type.ToString(), ", got ", want.ToString()));
    }
    absl::StatusOr<Func> fn = Func::New(
        store, type,
        [f, ctx, abi](Caller<>& caller, absl::Span<const Val> params,
                      absl::Span<Val> results) -> std::optional<Trap> {
          ValRaw raw[16] = {};
          for (size_t i = 0; i < params.size(); ++i) raw[i] = params[i].ToRaw();
          absl::Status s = RunPreview1(*f, *ctx, CallerMemory(caller, abi),
                                       absl::MakeSpan(raw, 16));
          if (!s.ok()) return Trap::Host(std::string(s.message()));
          if (!results.empty()) results[0] = Val::I32(raw[0].i32);
          return std::nullopt;
        });
    if (!fn.ok()) return fn.status();
    out.emplace_back(*fn);
  }
  return out;
}

}  // namespace kiln::wasi
