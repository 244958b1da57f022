#include "engine/func.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "runtime/traps/backtrace.h"

namespace kiln {
namespace internal {

Trap ConvertTrap(const runtime::Trap& trap) {
  std::vector<FrameInfo> frames;
  frames.reserve(trap.backtrace.size());
  for (const runtime::WasmFrame& f : trap.backtrace) {
    FrameInfo info;
    info.func_index = f.func_index;
    info.func_offset = f.func_offset;
    if (f.owner != nullptr) {
      const auto* module = static_cast<const ModuleImpl*>(f.owner);
      if (const std::string* name = module->info->FunctionName(f.func_index)) {
        info.func_name = *name;
      }
      if (module->info->module_name.has_value()) {
        info.module_name = *module->info->module_name;
      }
    }
    frames.push_back(std::move(info));
  }
  return Trap(trap.code, std::move(frames));
}

std::optional<Trap> InvokeHost(HostFuncData& data, void* caller_vmctx,
                               ValRaw* values) {
  StoreOpaque& store = *data.store;
  const FuncType& type =
      store.engine().signatures().Lookup(data.funcref.type_id);
  absl::InlinedVector<Val, 8> params;
  params.reserve(type.params.size());
  for (size_t i = 0; i < type.params.size(); ++i) {
    params.push_back(Val::FromRaw(type.params[i], values[i]));
  }
  absl::InlinedVector<Val, 4> results;
  for (ValType t : type.results) results.push_back(Val::Default(t));
  std::optional<Trap> trap;
  try {
    Caller caller(store, caller_vmctx);
    trap = data.callback(caller, params, absl::MakeSpan(results));
  } catch (const std::exception& e) {
    return Trap::Host(absl::StrCat("host function threw: ", e.what()));
  } catch (...) {
    return Trap::Host("host function threw an exception");
  }
  if (trap.has_value()) return trap;
  for (size_t k = 0; k < type.results.size(); ++k) {
    if (results[k].type() != type.results[k]) {
      return Trap::Host(absl::StrCat("host function result ", k, " has type ",
                                     wasm::ValTypeName(results[k].type()),
                                     ", expected ",
                                     wasm::ValTypeName(type.results[k])));
    }
    values[k] = results[k].ToRaw();
  }
  return std::nullopt;
}

namespace {
// Everything with a destructor lives and dies in here, so that
// HostDispatch can RaiseTrap afterwards.
std::optional<TrapCode> DispatchImpl(HostFuncData* data, void* caller_vmctx,
                                     ValRaw* values) {
  std::optional<Trap> trap = InvokeHost(*data, caller_vmctx, values);
  if (!trap.has_value()) return std::nullopt;
  TrapCode code = trap->code();
  data->store->impl().pending_trap = std::move(trap);
  return code;
}
}  // namespace

void HostDispatch(void* host_ctx, void* caller_vmctx, uint8_t* values) {
  // A host function calling another directly passes its own context.
  if (caller_vmctx != nullptr && IsHostContext(caller_vmctx)) {
    caller_vmctx = nullptr;
  }
  std::optional<TrapCode> code =
      DispatchImpl(static_cast<HostFuncData*>(host_ctx), caller_vmctx,
                   reinterpret_cast<ValRaw*>(values));
  if (code.has_value()) runtime::RaiseTrap(*code);
}

Result<void> CallWasmRaw(StoreOpaque& store, trampolines::ArrayCallFn tramp,
                         const abi::VMFuncRef* ref, ValRaw* values) {
  runtime::WasmCall call;
  call.fn = reinterpret_cast<const void*>(tramp);
  call.args[0] = reinterpret_cast<uint64_t>(ref->code);
  call.args[1] = reinterpret_cast<uint64_t>(ref->vmctx);
  call.args[2] = reinterpret_cast<uint64_t>(ref->vmctx);
  call.args[3] = reinterpret_cast<uint64_t>(values);
  call.limits = store.runtime_limits();
  call.max_wasm_stack = store.engine().config().max_wasm_stack;
  std::optional<runtime::Trap> trap = runtime::EnterWasm(call);
  if (!trap.has_value()) return Result<void>();
  return TakeTrap(store, *trap);
}

Trap TakeTrap(StoreOpaque& store, const runtime::Trap& trap) {
  Trap converted = ConvertTrap(trap);
  std::optional<Trap>& pending = store.impl().pending_trap;
  if (pending.has_value()) {
    Trap host = std::move(*pending);
    pending.reset();
    host.set_backtrace(converted.backtrace());
    return host;
  }
  return converted;
}

absl::Status CheckTypedSignature(const FuncType& actual,
                                 const std::vector<ValType>& params,
                                 const std::vector<ValType>& results) {
  FuncType expected{params, results};
  if (actual != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("function type mismatch: the function is ",
                     actual.ToString(), ", the typed signature is ",
                     expected.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace internal

std::optional<Extern> Caller::GetExport(std::string_view name) const {
  if (caller_vmctx_ == nullptr) return std::nullopt;
  auto& by_vmctx = store_->impl().by_vmctx;
  auto it = by_vmctx.find(caller_vmctx_);
  if (it == by_vmctx.end()) return std::nullopt;
  return internal::InstanceExport(*it->second, name);
}

absl::StatusOr<Func> Func::New(StoreOpaque& store, const FuncType& type,
                               HostCallback callback) {
  const uint32_t id = store.engine().signatures().Intern(type);
  absl::StatusOr<const void*> code = store.engine().WasmToHostTrampoline(id);
  if (!code.ok()) return code.status();
  internal::HostFuncData& data = store.impl().host_funcs.emplace_back();
  data.store = &store;
  data.callback = std::move(callback);
  data.funcref.code = *code;
  data.funcref.vmctx = &data;
  data.funcref.type_id = id;
  return Func(&data.funcref);
}

const FuncType& Func::type(const StoreOpaque& store) const {
  return store.engine().signatures().Lookup(ref_->type_id);
}

bool Func::is_host() const { return internal::IsHostContext(ref_->vmctx); }

Result<void> Func::CallRaw(StoreOpaque& store, ValRaw* values) const {
  if (is_host()) {
    auto* data = static_cast<internal::HostFuncData*>(ref_->vmctx);
    std::optional<Trap> trap = internal::InvokeHost(*data, nullptr, values);
    if (trap.has_value()) return *std::move(trap);
    return Result<void>();
  }
  absl::StatusOr<trampolines::ArrayCallFn> tramp =
      store.engine().ArrayCallTrampoline(ref_->type_id);
  if (!tramp.ok()) return tramp.status();
  return internal::CallWasmRaw(store, *tramp, ref_, values);
}

Result<void> Func::Call(StoreOpaque& store, absl::Span<const Val> params,
                        absl::Span<Val> results) const {
  const FuncType& type = this->type(store);
  if (params.size() != type.params.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("function ", type.ToString(), " takes ",
                     type.params.size(), " arguments, got ", params.size()));
  }
  if (results.size() != type.results.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("function ", type.ToString(), " returns ",
                     type.results.size(), " results, space for ",
                     results.size()));
  }
  absl::InlinedVector<ValRaw, 8> values(
      std::max<size_t>({params.size(), results.size(), 1}));
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].type() != type.params[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument ", i, " has type ", wasm::ValTypeName(params[i].type()),
          ", expected ", wasm::ValTypeName(type.params[i])));
    }
    values[i] = params[i].ToRaw();
  }
  Result<void> r = CallRaw(store, values.data());
  if (!r.ok()) return r;
  for (size_t k = 0; k < results.size(); ++k) {
    results[k] = Val::FromRaw(type.results[k], values[k]);
  }
  return r;
}

Result<std::vector<Val>> Func::Call(StoreOpaque& store,
                                    absl::Span<const Val> params) const {
  std::vector<Val> results(type(store).results.size());
  Result<void> r = Call(store, params, absl::MakeSpan(results));
  if (r.is_trap()) return std::move(r.trap());
  if (!r.ok()) return r.status();
  return results;
}

}  // namespace kiln
